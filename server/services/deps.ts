import type { Config } from '../config.js';
import type { Database } from '../../db/index.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import type { Mailer } from '../mail/index.js';
import type { ProviderRegistry } from '../providers/index.js';
import type { Storage } from '../storage/index.js';
import type { SigningCredentials } from '../provenance/credentials.js';
import type { ServerToClientEvents } from '../shared/realtime.js';
import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { ImageClassifier } from './moderation/classifier.js';
import type { ShareLimits } from './rate-limits.js';

/** Sends an event to a Socket.io room, from whichever process does the work. */
export interface Notifier {
  emit<E extends keyof ServerToClientEvents>(room: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
}

/** Enqueues a job, optionally inside the caller's transaction. */
export interface JobSender {
  send(queue: string, data: object, opts?: { trx?: Transaction<DB>; singletonKey?: string; /** concurrency group, e.g. the provider */ group?: string; startAfter?: Date }): Promise<string | null>;
}

/** What other areas (boards, notifications) hear about each generation state change. */
export interface GenerationChange {
  id: string;
  workspaceId: string;
  userId: string;
  kind: 'image' | 'video';
  boardId: string | null;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
  progress: number;
  prompt: string;
  width: number;
  height: number;
  errorMessage: string | null;
  assets: { id: string; url: string; width: number | null; height: number | null; media: 'image' | 'video' }[];
  /** when this state was written (ms since epoch) */
  updatedAt?: number;
}

export interface Hooks {
  /** Called after each committed state change of a generation, in the process that made it. Errors are logged, never thrown back. */
  generationChanged: ((change: GenerationChange, deps: Deps) => Promise<void>)[];
}

/** What the boards area offers the others (set by the composition root when boards are available). */
export interface BoardsApi {
  /** Throws NOT_FOUND unless the board exists in that workspace. */
  requireBoardInWorkspace(deps: Deps, boardId: string, workspaceId: string): Promise<void>;
}

export interface Deps {
  config: Config;
  db: Database;
  storage: Storage;
  providers: ProviderRegistry;
  jobs: JobSender;
  notifier: Notifier;
  mailer: Mailer;
  hooks: Hooks;
  boards?: BoardsApi;
  /** What signs the C2PA manifests in generated files (the operator's certificate or the development one). */
  contentCredentials: SigningCredentials;
  /** The image classifier (and the hosted prompt check's fetch): server/services/moderation. */
  moderation: ModerationDeps;
  /** Stripe client; null when billing is not configured. */
  stripe: import('stripe').default | null;
  log: Logger;
  /** Prometheus metrics of this process (no-ops when metrics are off). */
  metrics: Metrics;
  /** Per-link limits of share links, held per process (server/services/share-links.ts). */
  shareLimits: ShareLimits;
}

/** Who is acting: a signed-in user. */
export interface Actor {
  userId: string;
  /** The session acting (set for requests; absent for jobs and scripts). Operator checks need it when the account has two-factor on. */
  sessionId?: string;
}

/** What the composition root gives the moderation code (the classifier is replaceable for tests of other areas only). */
export interface ModerationDeps {
  classifier: ImageClassifier;
  /** fetch for the hosted API (defaults to the global one). */
  fetch?: typeof fetch;
}
