import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { CatalogSchema, DEFAULT_CATALOG, type Catalog } from './shared/billing.js';

/**
 * Every environment variable the product reads, validated once at boot.
 * Empty strings count as unset. Nothing else in the code base reads process.env.
 */
const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const opt = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(emptyToUndefined, schema.optional());
const bool = (def: boolean) =>
  z.preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0']).optional()).transform((v) =>
    v === undefined ? def : v === 'true' || v === '1',
  );
const int = (def: number, min: number, max: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).optional()).transform((v) => v ?? def);

export const EnvSchema = z.object({
  NODE_ENV: z.preprocess(emptyToUndefined, z.enum(['development', 'production', 'test']).optional()).transform((v) => v ?? 'development'),
  PORT: int(3000, 0, 65535),
  HOST: opt(z.string()).transform((v) => v ?? '0.0.0.0'),
  BASE_URL: opt(z.string().url()),
  TRUST_PROXY: opt(z.string()).transform((v, ctx): number | string[] | false => {
    const value = (v ?? 'loopback').trim();
    if (value === 'false') return false;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
    const named = ['loopback', 'linklocal', 'uniquelocal'];
    const bad = entries.find((e) => !named.includes(e) && !(e.includes('/') ? ipaddr.isValidCIDR(e) : ipaddr.isValid(e)));
    if (bad !== undefined || entries.length === 0) {
      ctx.addIssue({ code: 'custom', message: `must be loopback (default), false, a hop count, or a comma list of addresses/CIDRs (got ${JSON.stringify(bad ?? value)})` });
      return z.NEVER;
    }
    return entries;
  }),
  TRUSTED_ORIGINS: opt(z.string()).transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [])),
  DATA_DIR: opt(z.string()).transform((v) => path.resolve(v ?? '.data')),
  DATABASE_URL: opt(z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')),
  EMBEDDED_PG_PORT: int(54329, 0, 65535),
  BETTER_AUTH_SECRET: opt(z.string().min(32, 'must be at least 32 characters')),
  STORAGE_DIR: opt(z.string()),
  RUN_WORKER: bool(true),
  WORKER_CONCURRENCY: int(4, 1, 64),
  LOCAL_PROVIDER_STEP_MS: int(120, 0, 10_000),
  PROVIDER_CONCURRENCY: opt(z.string().regex(/^([a-z]+=\d+)(,[a-z]+=\d+)*$/, 'must look like local=4,bfl=24')).transform((v) =>
    Object.fromEntries((v ? v.split(',') : []).map((p) => [p.split('=')[0]!, Math.max(1, Number(p.split('=')[1]))])),
  ),
  MODEL_PROVIDER_ORDER: opt(z.string()).transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : ['bfl', 'fal', 'replicate'])),
  FFMPEG_PATH: opt(z.string()),
  AUTH_RATE_LIMIT: bool(true),
  SIGN_IN_ADDRESS_MAX: int(30, 1, 1_000_000),
  SIGN_IN_ADDRESS_WINDOW_SECONDS: int(600, 1, 86_400),
  INVITATIONS_PER_SENDER_PER_HOUR: int(20, 1, 100_000),
  INVITATIONS_PER_WORKSPACE_PER_HOUR: int(50, 1, 100_000),
  GITHUB_CLIENT_ID: opt(z.string()),
  GITHUB_CLIENT_SECRET: opt(z.string()),
  GITHUB_OAUTH_URL: opt(z.string().url()),
  GITHUB_API_URL: opt(z.string().url()),
  GOOGLE_CLIENT_ID: opt(z.string()),
  GOOGLE_CLIENT_SECRET: opt(z.string()),
  GOOGLE_DISCOVERY_URL: opt(z.string().url()),
  STRIPE_SECRET_KEY: opt(z.string().regex(/^(sk|rk)_/, 'must be a Stripe secret key (sk_… or rk_…)')),
  STRIPE_WEBHOOK_SECRET: opt(z.string().startsWith('whsec_', 'must be a webhook signing secret (whsec_…)')),
  STRIPE_API_URL: opt(z.string().url()),
  BILLING_CATALOG: opt(z.string()).transform((v, ctx) => {
    if (!v) return DEFAULT_CATALOG;
    try {
      return CatalogSchema.parse(JSON.parse(v));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `must be JSON of {currency, packs[], plans[]}: ${(err as Error).message.slice(0, 200)}` });
      return z.NEVER;
    }
  }),
  UNSAVED_OUTPUT_RETENTION_DAYS: int(30, 1, 3650),
  EXPORT_RETENTION_DAYS: int(7, 1, 90),
  BACKUP_RETENTION_DAYS: int(14, 1, 3650),
  ADMIN_EMAILS: opt(z.string()).transform((v) => (v ? v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : [])),
  USAGE_LOG_RETENTION_DAYS: int(90, 1, 3650),
  ANALYTICS_RETENTION_DAYS: int(365, 1, 3650),
  DELETION_REQUEST_RETENTION_DAYS: int(365, 1, 3650),
  DELETION_GRACE_DAYS: int(30, 0, 365),
  BFL_API_KEY: opt(z.string()),
  BFL_API_URL: opt(z.string().url()),
  FAL_KEY: opt(z.string()),
  FAL_QUEUE_URL: opt(z.string().url()),
  REPLICATE_API_TOKEN: opt(z.string()),
  REPLICATE_API_URL: opt(z.string().url()),
  MEDIA_FETCH_ALLOW_HOSTS: opt(z.string()).transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [])),
  SIGNUP_CREDITS: int(100, 0, 1_000_000),
  TEAM_STARTING_CREDITS: int(100, 0, 1_000_000),
  GENERATION_RATE_PER_MINUTE: int(30, 1, 100_000),
  GENERATION_MAX_IN_FLIGHT: int(20, 1, 100_000),
  GENERATION_MAX_IN_FLIGHT_PER_WORKSPACE: int(40, 1, 100_000),
  SMTP_URL: opt(z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')),
  MAIL_FROM: opt(z.string()).transform((v) => v ?? 'Flux Klein <no-reply@flux-klein.local>'),
  INVITATION_TTL_DAYS: int(7, 1, 90),
  BOARD_MAX_UPDATE_BYTES: int(32 * 1024, 1024, 60 * 1024),
  BOARD_MAX_DOC_BYTES: int(8 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
  BOARD_MAX_SYNC_BYTES: int(1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
  BOARD_UPDATES_PER_SECOND: int(60, 1, 10_000),
  BOARD_COMPACT_AFTER_UPDATES: int(200, 1, 1_000_000),
  GENERATION_HEARTBEAT_SECONDS: int(30, 10, 3600),
  JOB_SUPERVISE_SECONDS: int(10, 1, 600),
  DB_CONNECT_TIMEOUT_MS: int(5000, 100, 120_000),
  DB_STATEMENT_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  DB_STARTUP_RETRY_SECONDS: int(60, 0, 3600),
  BOARD_SYNC_PER_MINUTE: int(20, 1, 10_000),
  BOARD_JOINS_PER_MINUTE: int(60, 1, 10_000),
  BOARD_PART_TIMEOUT_MS: int(30_000, 100, 600_000),
  BOARD_MAX_UNSTORED_BYTES: int(4 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
  BOARDS_PER_SOCKET: int(8, 1, 100),
  BOARD_AUTO_VERSION_SECONDS: int(600, 1, 86_400),
  SOCKETS_PER_USER: int(20, 1, 1_000),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional()).transform((v) => v ?? 'info'),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  /** Public origin of the product, e.g. http://localhost:3000 (no trailing slash). */
  baseUrl: string;
  /** Which proxies' X-Forwarded-For Express believes (its `trust proxy`): names, addresses/CIDRs, a hop count, or none. */
  trustProxy: number | string[] | false;
  /** Origins allowed to make state-changing requests and open sockets. */
  trustedOrigins: string[];
  dataDir: string;
  databaseUrl: string | undefined;
  embeddedPgPort: number;
  authSecret: string | undefined;
  storageDir: string;
  runWorker: boolean;
  workerConcurrency: number;
  localProviderStepMs: number;
  logLevel: Env['LOG_LEVEL'];
  /** SMTP server for outgoing mail; unset: messages go to the development outbox under DATA_DIR/outbox. */
  smtpUrl: string | undefined;
  /** Most jobs each provider may run at once across all workers (overrides the defaults). */
  providerConcurrency: Record<string, number>;
  /** Which configured provider serves the FLUX.2 [klein] models, first match wins (falls back to `local`). */
  providerPreference: string[];
  /** ffmpeg for MP4 video from the built-in provider; unset: looked up on PATH, animated WebP when absent. */
  ffmpegPath: string | undefined;
  /** Model provider accounts; each adapter is enabled when its key is set. URLs override the public API (regional endpoints, local fakes). */
  providers: {
    bfl?: { apiKey: string; baseUrl?: string };
    fal?: { apiKey: string; baseUrl?: string };
    replicate?: { apiToken: string; baseUrl?: string };
    /** host:port pairs whose result URLs may be fetched although not public (local fakes only). */
    mediaAllowHosts: string[];
  };
  /** People (by email) who may see and handle privacy requests. */
  adminEmails: string[];
  /** How long data kept for a limited time stays, in days. */
  retention: { unsavedOutputDays: number; exportDays: number; deletionGraceDays: number; usageLogDays: number; backupDays: number; analyticsDays: number; deletionRequestDays: number };
  /** Stripe billing; undefined when STRIPE_SECRET_KEY is unset (the product runs without billing). */
  stripe: { secretKey: string; webhookSecret: string | undefined; apiUrl: string | undefined } | undefined;
  catalog: Catalog;
  /** Sign-in with outside identity providers; each is offered only when its client id and secret are set. */
  oauth: {
    github?: { clientId: string; clientSecret: string; oauthUrl: string; apiUrl: string };
    google?: { clientId: string; clientSecret: string; discoveryUrl: string };
  };
  /** Rate limits on sign-in, sign-up, password reset and verification (better-auth's limiter, in Postgres). */
  authRateLimit: boolean;
  /** Sign-in attempts one client address (an IPv6 /64) may make across all accounts per window (with AUTH_RATE_LIMIT). */
  signInAddressLimit: { max: number; windowSeconds: number };
  /** Invitations sent or resent per hour, by one sender and into one workspace. */
  invitationLimits: { perSenderPerHour: number; perWorkspacePerHour: number };
  /** Credits granted to a new user's personal workspace. */
  signupCredits: number;
  /** Credits a new team workspace starts with when billing is off (there is no other way to fund it then). */
  teamStartingCredits: number;
  /** Generations a user may start per minute, and may have queued or running at once (per user and per workspace). */
  generationLimits: { perUserPerMinute: number; perUserInFlight: number; perWorkspaceInFlight: number };
  mailFrom: string;
  /** How long an invitation link stays valid, in days. */
  invitationTtlDays: number;
  /** Live boards: limits per update, per document and per socket; compaction threshold. */
  boards: {
    maxUpdateBytes: number;
    maxDocBytes: number;
    /** largest change sent in parts (edits made offline, sent on reconnect) */
    maxSyncBytes: number;
    updatesPerSecond: number;
    compactAfterUpdates: number;
    /** whole-document answers (sync step 2 to a client's step 1) per socket per minute */
    syncPerMinute: number;
    /** board joins and leaves per socket per minute */
    joinsPerMinute: number;
    /** a message sent in parts is dropped when not complete within this (ms) */
    partTimeoutMs: number;
    /** accepted updates held in memory per board while they cannot be stored (the database is away); more are refused with BOARD_SAVE_BEHIND */
    maxUnstoredBytes: number;
    boardsPerSocket: number;
    /** at most one automatic version of a board per this many ms of activity (server/boards/versions.ts) */
    autoVersionEveryMs: number;
  };
  /**
   * Jobs: a running generation's worker renews its heartbeat every half `heartbeatSeconds`; a job
   * whose heartbeat is older (its worker was killed) is retried or failed by the next supervision
   * pass, which every process runs every `superviseSeconds`.
   */
  jobs: { heartbeatSeconds: number; superviseSeconds: number };
  /** Database connections: how long to wait for one, how long a statement may run, how long to keep trying at boot. */
  db: { connectTimeoutMs: number; statementTimeoutMs: number; startupRetrySeconds: number };
  /** open sockets per user on one process */
  socketsPerUser: number;
}

export class ConfigError extends Error {}

export function loadConfig(source: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && e.MEDIA_FETCH_ALLOW_HOSTS.length > 0) {
    throw new ConfigError('Invalid configuration:\n  MEDIA_FETCH_ALLOW_HOSTS: not allowed in production (it lets result downloads reach private addresses; it is for local fakes in tests)');
  }
  const port = overrides.port ?? e.PORT;
  const baseUrl = (overrides.baseUrl ?? e.BASE_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
  const cfg: Config = {
    env: e.NODE_ENV,
    port,
    host: e.HOST,
    baseUrl,
    trustedOrigins: [],
    trustProxy: e.TRUST_PROXY,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    authSecret: e.BETTER_AUTH_SECRET,
    storageDir: path.resolve(e.STORAGE_DIR ?? path.join(e.DATA_DIR, 'storage')),
    runWorker: e.RUN_WORKER,
    workerConcurrency: e.WORKER_CONCURRENCY,
    localProviderStepMs: e.LOCAL_PROVIDER_STEP_MS,
    logLevel: e.LOG_LEVEL,
    smtpUrl: e.SMTP_URL,
    signupCredits: e.SIGNUP_CREDITS,
    teamStartingCredits: e.TEAM_STARTING_CREDITS,
    generationLimits: { perUserPerMinute: e.GENERATION_RATE_PER_MINUTE, perUserInFlight: e.GENERATION_MAX_IN_FLIGHT, perWorkspaceInFlight: e.GENERATION_MAX_IN_FLIGHT_PER_WORKSPACE },
    ffmpegPath: e.FFMPEG_PATH,
    authRateLimit: e.AUTH_RATE_LIMIT,
    signInAddressLimit: { max: e.SIGN_IN_ADDRESS_MAX, windowSeconds: e.SIGN_IN_ADDRESS_WINDOW_SECONDS },
    invitationLimits: { perSenderPerHour: e.INVITATIONS_PER_SENDER_PER_HOUR, perWorkspacePerHour: e.INVITATIONS_PER_WORKSPACE_PER_HOUR },
    oauth: {
      ...(e.GITHUB_CLIENT_ID && e.GITHUB_CLIENT_SECRET
        ? { github: { clientId: e.GITHUB_CLIENT_ID, clientSecret: e.GITHUB_CLIENT_SECRET, oauthUrl: (e.GITHUB_OAUTH_URL ?? 'https://github.com').replace(/\/$/, ''), apiUrl: (e.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, '') } }
        : {}),
      ...(e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET
        ? { google: { clientId: e.GOOGLE_CLIENT_ID, clientSecret: e.GOOGLE_CLIENT_SECRET, discoveryUrl: e.GOOGLE_DISCOVERY_URL ?? 'https://accounts.google.com/.well-known/openid-configuration' } }
        : {}),
    },
    stripe: e.STRIPE_SECRET_KEY ? { secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET, apiUrl: e.STRIPE_API_URL } : undefined,
    catalog: e.BILLING_CATALOG,
    adminEmails: e.ADMIN_EMAILS,
    retention: {
      unsavedOutputDays: e.UNSAVED_OUTPUT_RETENTION_DAYS,
      exportDays: e.EXPORT_RETENTION_DAYS,
      deletionGraceDays: e.DELETION_GRACE_DAYS,
      usageLogDays: e.USAGE_LOG_RETENTION_DAYS,
      backupDays: e.BACKUP_RETENTION_DAYS,
      analyticsDays: e.ANALYTICS_RETENTION_DAYS,
      deletionRequestDays: e.DELETION_REQUEST_RETENTION_DAYS,
    },
    providers: {
      ...(e.BFL_API_KEY ? { bfl: { apiKey: e.BFL_API_KEY, baseUrl: e.BFL_API_URL } } : {}),
      ...(e.FAL_KEY ? { fal: { apiKey: e.FAL_KEY, baseUrl: e.FAL_QUEUE_URL } } : {}),
      ...(e.REPLICATE_API_TOKEN ? { replicate: { apiToken: e.REPLICATE_API_TOKEN, baseUrl: e.REPLICATE_API_URL } } : {}),
      mediaAllowHosts: e.MEDIA_FETCH_ALLOW_HOSTS,
    },
    providerPreference: e.MODEL_PROVIDER_ORDER,
    providerConcurrency: e.PROVIDER_CONCURRENCY,
    mailFrom: e.MAIL_FROM,
    invitationTtlDays: e.INVITATION_TTL_DAYS,
    boards: { maxUpdateBytes: e.BOARD_MAX_UPDATE_BYTES, maxDocBytes: e.BOARD_MAX_DOC_BYTES, maxSyncBytes: e.BOARD_MAX_SYNC_BYTES, updatesPerSecond: e.BOARD_UPDATES_PER_SECOND, compactAfterUpdates: e.BOARD_COMPACT_AFTER_UPDATES, syncPerMinute: e.BOARD_SYNC_PER_MINUTE, joinsPerMinute: e.BOARD_JOINS_PER_MINUTE, partTimeoutMs: e.BOARD_PART_TIMEOUT_MS, maxUnstoredBytes: e.BOARD_MAX_UNSTORED_BYTES, boardsPerSocket: e.BOARDS_PER_SOCKET, autoVersionEveryMs: e.BOARD_AUTO_VERSION_SECONDS * 1000 },
    jobs: { heartbeatSeconds: e.GENERATION_HEARTBEAT_SECONDS, superviseSeconds: e.JOB_SUPERVISE_SECONDS },
    db: { connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS, startupRetrySeconds: e.DB_STARTUP_RETRY_SECONDS },
    socketsPerUser: e.SOCKETS_PER_USER,
    ...overrides,
  };
  cfg.baseUrl = baseUrl;
  cfg.trustedOrigins = [...new Set([new URL(baseUrl).origin, ...e.TRUSTED_ORIGINS, ...(overrides.trustedOrigins ?? [])])];
  return cfg;
}
