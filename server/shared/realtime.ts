/** Socket.io event names and payloads, declared once for server and client. */
import type { GenerationStatusName } from './generation.js';

export interface GenerationEvent {
  id: string;
  workspaceId: string;
  status: GenerationStatusName;
  progress: number;
  prompt: string;
  errorCode?: string | null;
  errorMessage?: string | null;
  assetIds?: string[];
  /** When this state was written (ms since epoch): events can arrive out of order across processes; keep the newest. */
  updatedAt: number;
}

export interface ServerToClientEvents {
  'generation:update': (e: GenerationEvent) => void;
  'error:refused': (e: { code: string; message: string }) => void;
  'credits:changed': (e: { workspaceId: string; balance: number }) => void;
  'billing:updated': (e: { workspaceId: string }) => void;
  'export:ready': (e: { id: string; url: string }) => void;
  'consent:changed': (e: { preferences: boolean; analytics: boolean }) => void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ClientToServerEvents {}

export const rooms = {
  user: (id: string) => `user:${id}`,
  workspace: (id: string) => `workspace:${id}`,
  board: (id: string) => `board:${id}`,
};
