import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import express from 'express';
import { z } from 'zod';
import type { Auth } from '../auth/index.js';
import { getSessionUser } from '../auth/index.js';
import { authorizeUpload, createUpload, openAssetFile, openAssetFiles } from '../services/assets.js';
import { openExport } from '../services/privacy.js';
import { openAssetForReview } from '../services/operator-console.js';
import type { Deps } from '../services/deps.js';
import { AppError } from '../shared/errors.js';
import { sendError } from './errors.js';
import { zipStream } from '../storage/zip.js';
import { toHeaders } from './headers.js';
import { thumbWidthFrom } from '../services/thumbnails.js';

/** If-None-Match against one strong ETag (a list, weak forms and `*` included). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** The largest upload accepted on the wire (the validation path has its own, equal cap). */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

const fail = (deps: Deps, res: Response, err: unknown) => sendError(res, err, { log: deps.log, what: 'file route' });

async function requireUser(auth: Auth, req: Request) {
  const user = await getSessionUser(auth, toHeaders(req));
  if (!user) throw new AppError('UNAUTHORIZED');
  if (req.res) req.res.locals.userId = user.id; // for the usage log
  return { userId: user.id };
}

/**
 * GET /files/:id — an asset's bytes, only for members of its workspace. There is no public
 * directory of outputs; `?download=1` asks the browser to save the file, `?thumb=256|512` (or `1` = 512) gives a small WebP.
 * Answers carry an ETag (content hash) and one-year immutable private caching.
 */
export function fileRoute(deps: Deps, auth: Auth) {
  return async (req: Request, res: Response) => {
    try {
      const id = z.uuid().safeParse(req.params.id);
      if (!id.success) throw new AppError('NOT_FOUND');
      const actor = await requireUser(auth, req);
      const file = await openAssetFile(deps, actor, id.data, { thumb: thumbWidthFrom(req.query.thumb) });
      // A file at /files/:id never changes (an edit makes a new asset), so the browser keeps it for a
      // year without asking again; private: only this browser, never a shared cache.
      res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
      res.setHeader('ETag', file.etag);
      res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'");
      if (etagMatches(req.headers['if-none-match'], file.etag)) {
        res.status(304).end();
        return;
      }
      const { stream, size } = await file.open();
      res.setHeader('Content-Type', file.mime);
      res.setHeader('Content-Length', String(size));
      const disposition = req.query.download === '1' ? 'attachment' : 'inline';
      res.setHeader('Content-Disposition', `${disposition}; filename="${file.name}"`);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    } catch (err) {
      fail(deps, res, err);
    }
  };
}

/**
 * GET /files/review/:id — a reported or appealed asset's file, hidden or not, for an operator
 * deciding about it (server/services/operator-console.ts; NOT_FOUND to anyone else). Never cached.
 */
export function reviewFileRoute(deps: Deps, auth: Auth) {
  return async (req: Request, res: Response) => {
    try {
      const id = z.uuid().safeParse(req.params.id);
      if (!id.success) throw new AppError('NOT_FOUND');
      const user = await getSessionUser(auth, toHeaders(req));
      if (!user) throw new AppError('NOT_FOUND');
      res.locals.userId = user.id;
      const file = await openAssetForReview(deps, { userId: user.id, sessionId: user.sessionId }, id.data);
      res.setHeader('Content-Type', file.mime);
      res.setHeader('Content-Length', String(file.size));
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'");
      res.setHeader('Content-Disposition', 'inline');
      file.stream.on('error', () => res.destroy());
      file.stream.pipe(res);
    } catch (err) {
      fail(deps, res, err);
    }
  };
}

/** GET /files/archive?ids=a,b,c — several files as one ZIP, streamed (bounded memory). */
export function archiveRoute(deps: Deps, auth: Auth) {
  const Ids = z.array(z.uuid()).min(1).max(100);
  return async (req: Request, res: Response) => {
    try {
      const ids = Ids.safeParse(String(req.query.ids ?? '').split(',').filter(Boolean));
      if (!ids.success) throw new AppError('INVALID_INPUT', { userMessage: 'Select between 1 and 100 items to download.' });
      const actor = await requireUser(auth, req);
      const files = await openAssetFiles(deps, actor, ids.data);
      res.setHeader('Content-Type', 'application/zip');
      res.setHeader('Content-Disposition', `attachment; filename="flux-klein-${files.length}-items.zip"`);
      // Each file is opened when the ZIP reaches it; a file that fails then, or a client that goes away, ends the answer.
      const zip = Readable.from(zipStream(files.map((f) => ({ name: f.name, open: f.open }))));
      await pipeline(zip, res).catch(() => res.destroy());
    } catch (err) {
      fail(deps, res, err);
    }
  };
}

/**
 * POST /uploads — a reference image as the raw request body (the browser sends the File).
 * Optional query: workspaceId, name. The session and the editor role are checked before a byte of
 * the body is read (an anonymous 20 MB post is refused at once, while it is still being sent); then
 * the body is read up to the cap and validated by the one upload path; answers the asset.
 */
export function uploadRoute(deps: Deps, auth: Auth) {
  const Query = z.object({ workspaceId: z.uuid().optional(), name: z.string().max(200).optional() });
  const raw = express.raw({ type: () => true, limit: MAX_UPLOAD_BYTES });
  // A refusal is answered at once; Node discards whatever of the body is still arriving (never buffered or stored).
  const refuse = (res: Response, err: unknown) => fail(deps, res, err);
  return [
    async (req: Request, res: Response, next: (err?: unknown) => void) => {
      try {
        const actor = await requireUser(auth, req);
        const query = Query.safeParse(req.query);
        if (!query.success) throw new AppError('INVALID_INPUT');
        res.locals.upload = { actor, workspaceId: await authorizeUpload(deps, actor, query.data.workspaceId), fileName: query.data.name };
        next();
      } catch (err) {
        refuse(res, err);
      }
    },
    (req: Request, res: Response, next: (err?: unknown) => void) =>
      raw(req, res, (err?: unknown) => {
        if (err && (err as { type?: string }).type === 'entity.too.large') {
          return refuse(res, new AppError('PAYLOAD_TOO_LARGE', { userMessage: `That file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.` }));
        }
        next(err);
      }),
    async (req: Request, res: Response) => {
      try {
        const { actor, workspaceId, fileName } = res.locals.upload as { actor: { userId: string }; workspaceId: string; fileName?: string };
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const asset = await createUpload(deps, actor, { workspaceId, data: body, fileName });
        res.status(asset.duplicate ? 200 : 201).json({ asset });
      } catch (err) {
        fail(deps, res, err);
      }
    },
  ];
}

/** GET /exports/:id/download — a data export, for its owner only, until it expires. */
export function exportDownloadRoute(deps: Deps, auth: Auth) {
  return async (req: Request, res: Response) => {
    try {
      const id = z.uuid().safeParse(req.params.id);
      if (!id.success) throw new AppError('NOT_FOUND');
      const actor = await requireUser(auth, req);
      const file = await openExport(deps, actor, id.data);
      res.setHeader('Content-Type', 'application/zip');
      res.setHeader('Content-Length', String(file.size));
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader('Content-Disposition', `attachment; filename="${file.name}"`);
      file.stream.on('error', () => res.destroy());
      file.stream.pipe(res);
    } catch (err) {
      fail(deps, res, err);
    }
  };
}
