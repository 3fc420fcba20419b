/**
 * The studio's results: the workspace's recent jobs, kept live from the socket (a teammate's jobs
 * too), re-read when the socket (re)connects, and the actions on them (run again, cancel, keep).
 * Status changes and results are put into words for the page's polite live region
 * (`announcement`), once per change, never per progress tick.
 */
import { useMutation } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { GenerationEvent } from '../../../server/shared/realtime.js';
import type { GenerationView } from '../../../server/shared/views.js';
import { useSocketConnected, useSocketEvent } from '../../lib/realtime.js';
import { errorMessage, useTRPC, useTRPCClient } from '../../lib/trpc.js';
import { useToast } from '../Toaster.js';
import { announcementFor } from './announce.js';

export function upsert(list: GenerationView[], gen: GenerationView): GenerationView[] {
  const i = list.findIndex((g) => g.id === gen.id);
  if (i === -1) return [gen, ...list];
  if (list[i]!.updatedAt > gen.updatedAt) return list;
  const next = list.slice();
  next[i] = { ...list[i]!, ...gen };
  return next;
}

export function useStudioJobs(recent: GenerationView[], workspaceId: string | undefined) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const toast = useToast();
  const [jobs, setJobs] = useState<GenerationView[]>(recent);
  const [announcement, setAnnouncement] = useState('');

  // What was last said about each job, so each change is announced once (and the loaded list not at all).
  const said = useRef(new Map<string, string>(recent.map((g) => [g.id, announcementFor(g) ?? ''])));
  useEffect(() => {
    const lines: string[] = [];
    for (const g of jobs) {
      const text = announcementFor(g);
      if (text === null || said.current.get(g.id) === text) continue;
      said.current.set(g.id, text);
      lines.push(text);
    }
    // A new text each time (a live region reads changes): two jobs ending together are read as one message.
    if (lines.length > 0) setAnnouncement(lines.join(' '));
  }, [jobs]);

  const add = useCallback((gen: GenerationView) => setJobs((list) => upsert(list, gen)), []);
  const rerun = useMutation(
    trpc.generation.rerun.mutationOptions({
      onSuccess: add,
      onError: (err) => toast({ tone: 'error', title: 'Could not start it again', body: errorMessage(err) }),
    }),
  );
  const cancel = useMutation(
    trpc.generation.cancel.mutationOptions({
      onSuccess: add,
      onError: (err) => toast({ tone: 'error', title: 'Could not cancel', body: errorMessage(err) }),
    }),
  );
  const keep = useMutation(
    trpc.asset.setSaved.mutationOptions({
      onSuccess: ({ ids, saved }) =>
        setJobs((list) => list.map((g) => ({ ...g, assets: g.assets.map((a) => (ids.includes(a.id) ? { ...a, saved } : a)) }))),
      onError: (err) => toast({ tone: 'error', title: 'Could not keep it', body: errorMessage(err) }),
    }),
  );

  // Another workspace chosen (the route stays mounted): its jobs replace the previous one's.
  const shownWorkspace = useRef(workspaceId);
  useEffect(() => {
    if (shownWorkspace.current === workspaceId) return;
    shownWorkspace.current = workspaceId;
    for (const g of recent) said.current.set(g.id, announcementFor(g) ?? '');
    setJobs(recent);
  }, [workspaceId, recent]);

  /** Jobs not in the list yet whose full view is being fetched (one request each, not one per progress event). */
  const fetching = useRef(new Set<string>());
  const refresh = useCallback(
    (id: string) => {
      fetching.current.add(id);
      void client.generation.get
        .query({ id })
        .then(
          (g) => {
            if (g.workspaceId === shownWorkspace.current) setJobs((l) => upsert(l, g));
          },
          () => {},
        )
        .finally(() => fetching.current.delete(id));
    },
    [client],
  );
  // Jobs of everyone in the workspace arrive here (a teammate's too): those of the workspace shown are followed.
  const onUpdate = useCallback(
    (e: GenerationEvent) => {
      if (e.workspaceId !== workspaceId) return;
      let known = false;
      setJobs((list) => {
        const existing = list.find((g) => g.id === e.id);
        if (!existing) return list;
        known = true;
        if (existing.updatedAt > e.updatedAt) return list; // an older state that arrived late
        return upsert(list, { ...existing, status: e.status, progress: e.progress, statusMessage: e.statusMessage ?? null, errorMessage: e.errorMessage ?? null, errorCode: e.errorCode ?? null, updatedAt: e.updatedAt });
      });
      // Results (and jobs started in another tab or by a teammate) are fetched once, complete.
      if (e.status === 'succeeded' || (!known && !fetching.current.has(e.id))) refresh(e.id);
    },
    [refresh, workspaceId],
  );
  useSocketEvent('generation:update', onUpdate);
  // Updates sent while this tab had no socket (before it first connected, or while it moved to
  // another server) are not replayed: re-read every job still queued or running when it connects.
  const jobsNow = useRef(jobs);
  jobsNow.current = jobs;
  const catchUp = useCallback(() => {
    for (const j of jobsNow.current) if ((j.status === 'queued' || j.status === 'running') && !fetching.current.has(j.id)) refresh(j.id);
  }, [refresh]);
  useSocketConnected(catchUp);

  return { jobs, add, rerun, cancel, keep, announcement };
}

export type StudioJobsApi = ReturnType<typeof useStudioJobs>;
