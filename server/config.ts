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

/** Every provider name the product knows; the order is the default pool order (own GPU first). */
export const PROVIDER_NAMES = ['comfyui', 'openai-images', 'bfl', 'fal', 'replicate'] as const;
export const DEFAULT_PROVIDER_ORDER: string[] = [...PROVIDER_NAMES];
/** Models a provider pool can be configured for. */
export const POOLED_MODELS = ['flux-2-klein-4b', 'flux-2-klein-9b', 'kling-2.5-turbo'] as const;

function providerList(v: string, ctx: z.RefinementCtx, what = 'provider'): string[] {
  // `local` (the offline preview) was accepted here before; it is never a FLUX.2 [klein] provider, so it is dropped.
  const list = v.split(',').map((s) => s.trim()).filter((s) => s && s !== 'local');
  const bad = list.find((p) => !(PROVIDER_NAMES as readonly string[]).includes(p));
  if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `unknown ${what} ${JSON.stringify(bad)} (known: ${PROVIDER_NAMES.join(', ')})` });
  return [...new Set(list)];
}

/** `flux-2-klein-4b:comfyui,bfl,fal; flux-2-klein-9b:bfl` → { model: [providers in order] }. */
function modelProviders(v: string | undefined, ctx: z.RefinementCtx): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of (v ?? '').split(/[;\s]+/).filter(Boolean)) {
    const [model, list] = part.split(':');
    if (!model || list === undefined || !(POOLED_MODELS as readonly string[]).includes(model)) {
      ctx.addIssue({ code: 'custom', message: `must look like flux-2-klein-4b:comfyui,bfl;flux-2-klein-9b:bfl (models: ${POOLED_MODELS.join(', ')}; got ${JSON.stringify(part)})` });
      return z.NEVER;
    }
    out[model] = providerList(list, ctx);
  }
  return out;
}

/** `flux-2-klein-4b=flux2-klein-4b` (our model = the name the image server knows it by). */
function imageServerModels(v: string | undefined, ctx: z.RefinementCtx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (v ?? 'flux-2-klein-4b=flux-2-klein-4b').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [model, name] = part.split('=').map((s) => s.trim());
    if (!model || !name || !['flux-2-klein-4b', 'flux-2-klein-9b'].includes(model)) {
      ctx.addIssue({ code: 'custom', message: `must look like flux-2-klein-4b=<the server's model name> (got ${JSON.stringify(part)})` });
      return z.NEVER;
    }
    out[model] = name;
  }
  return out;
}

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
  PROVIDER_CONCURRENCY: opt(z.string().regex(/^([a-z][a-z-]*=\d+)(,[a-z][a-z-]*=\d+)*$/, 'must look like local=4,bfl=24')).transform((v) =>
    Object.fromEntries((v ? v.split(',') : []).map((p) => [p.split('=')[0]!, Math.max(1, Number(p.split('=')[1]))])),
  ),
  MODEL_PROVIDER_ORDER: opt(z.string()).transform((v, ctx) => providerList(v ?? DEFAULT_PROVIDER_ORDER.join(','), ctx)),
  MODEL_PROVIDERS: opt(z.string()).transform((v, ctx) => modelProviders(v, ctx)),
  PROVIDER_BREAKER_FAILURES: int(3, 1, 1000),
  PROVIDER_BREAKER_COOLDOWN_SECONDS: int(60, 1, 86_400),
  FFMPEG_PATH: opt(z.string()),
  C2PA_SIGNING_CERT: opt(z.string()),
  C2PA_SIGNING_KEY: opt(z.string()),
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
  APPEALS_EMAIL: opt(z.email()),
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
  COMFYUI_URL: opt(z.string().url().regex(/^https?:\/\//, 'must be an http(s) URL')),
  COMFYUI_TOKEN: opt(z.string()),
  COMFYUI_WORKFLOWS_DIR: opt(z.string()),
  OPENAI_IMAGES_URL: opt(z.string().url().regex(/^https?:\/\//, 'must be an http(s) URL')),
  OPENAI_IMAGES_KEY: opt(z.string()),
  OPENAI_IMAGES_MODELS: opt(z.string()).transform((v, ctx) => imageServerModels(v, ctx)),
  MEDIA_FETCH_ALLOW_HOSTS: opt(z.string()).transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [])),
  WEBHOOK_ALLOW_HOSTS: opt(z.string()).transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [])),
  API_RATE_PER_MINUTE: int(120, 1, 1_000_000),
  WEBHOOK_LOG_RETENTION_DAYS: int(30, 1, 3650),
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
  BOARD_COMMENTS_PER_MINUTE: int(30, 1, 10_000),
  SHARE_LINK_REQUESTS_PER_MINUTE: int(1200, 1, 100_000),
  SHARE_LINK_JOINS_PER_MINUTE: int(120, 1, 10_000),
  SOCKETS_PER_USER: int(20, 1, 1_000),
  MODERATION_API_KEY: opt(z.string()),
  MODERATION_API_URL: opt(z.string().url()),
  MODERATION_API_MODEL: opt(z.string().max(100)),
  MODERATION_IMAGE_POLICY: z.preprocess(emptyToUndefined, z.enum(['blur', 'block']).optional()).transform((v) => v ?? 'blur'),
  MODERATION_IMAGE_THRESHOLD: z.preprocess(emptyToUndefined, z.coerce.number().min(0.001).max(1).optional()).transform((v) => v ?? 0.6),
  MODERATION_REFUSAL_WINDOW_MINUTES: int(60, 1, 7 * 24 * 60),
  MODERATION_SLOW_AFTER: int(3, 1, 1000),
  MODERATION_SLOW_SECONDS: int(60, 1, 86_400),
  MODERATION_SUSPEND_AFTER: int(6, 1, 1000),
  MODERATION_SUSPEND_HOURS: int(24, 1, 24 * 365),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional()).transform((v) => v ?? 'info'),
  METRICS_TOKEN: opt(z.string().min(24, 'must be at least 24 characters').regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')),
  METRICS_PORT: opt(z.coerce.number().int().min(0).max(65535)),
  METRICS_HOST: opt(z.string()).transform((v) => v ?? '127.0.0.1'),
  OTEL_EXPORTER_OTLP_ENDPOINT: opt(z.string().url().regex(/^https?:\/\//, 'must be an http(s) URL')),
  OTEL_EXPORTER_OTLP_HEADERS: opt(z.string()).transform((v, ctx) => {
    const headers: Record<string, string> = {};
    for (const pair of (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const i = pair.indexOf('=');
      try {
        if (i <= 0) throw new Error('no name');
        headers[decodeURIComponent(pair.slice(0, i).trim())] = decodeURIComponent(pair.slice(i + 1).trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a comma list of name=value pairs (values URL-encoded)' });
        return z.NEVER;
      }
    }
    return headers;
  }),
  OTEL_SERVICE_NAME: opt(z.string().max(100)).transform((v) => v ?? 'flux-klein'),
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
  /** Default pool order for every model: configured providers named here serve it, first first (MODEL_PROVIDER_ORDER). */
  providerPreference: string[];
  /** Per-model pool order, overriding `providerPreference` for that model (MODEL_PROVIDERS). */
  modelProviders: Record<string, string[]>;
  /** A provider that failed this many times in a row is taken out for `cooldownSeconds`, then probed with one job. */
  breaker: { failures: number; cooldownSeconds: number };
  /** ffmpeg for MP4 video from the built-in provider; unset: looked up on PATH, animated WebP when absent. */
  ffmpegPath: string | undefined;
  /** PEM files that sign C2PA manifests (server/provenance); unset: a development chain under DATA_DIR/c2pa/. */
  c2pa: { certPath: string; keyPath: string } | undefined;
  /** Model provider accounts; each adapter is enabled when its key is set. URLs override the public API (regional endpoints, local fakes). */
  providers: {
    bfl?: { apiKey: string; baseUrl?: string };
    fal?: { apiKey: string; baseUrl?: string };
    replicate?: { apiToken: string; baseUrl?: string };
    /** A ComfyUI server (the operator's GPU); `token` is sent as a bearer token to a proxy in front of it. */
    comfyui?: { baseUrl: string; token?: string; workflowsDir?: string };
    /** An OpenAI-compatible image server (LocalAI, sd-server); `models` maps our model ids to its model names. */
    openaiImages?: { baseUrl: string; apiKey?: string; models: Record<string, string> };
    /** host:port pairs whose result URLs may be fetched although not public (local fakes only). */
    mediaAllowHosts: string[];
  };
  /** People (by email) who may see and handle privacy requests. */
  adminEmails: string[];
  /** Where a banned person (who cannot sign in to ask for a review) writes to appeal; named in the ban message and mail. */
  appealsEmail: string | undefined;
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
    /** comments (new threads, replies, edits) one person may write per minute (server/boards/comments.ts) */
    commentsPerMinute: number;
    /** per share link and process: page and file requests, and socket connections and joins, per minute (server/services/share-links.ts) */
    shareRequestsPerMinute: number;
    shareJoinsPerMinute: number;
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
  /** The public API (/api/v1): requests one key may make per minute. */
  api: { ratePerMinute: number };
  /** Outgoing webhooks: `host:port` pairs that may be called although not public (local receivers in tests); how long the delivery log is kept. */
  webhooks: { allowHosts: string[]; logRetentionDays: number };
  /**
   * Prometheus metrics: collected when a token or a port is set. With `port`, served there (on
   * `host`) and absent from the main port; otherwise at /metrics on the main port, for the token only.
   */
  metrics: { enabled: boolean; token: string | undefined; port: number | undefined; host: string };
  /** OpenTelemetry traces, exported over OTLP/HTTP when `endpoint` is set (off otherwise). */
  tracing: { endpoint: string | undefined; headers: Record<string, string>; serviceName: string };
  /**
   * Moderation (server/services/moderation): the hosted prompt check (OpenAI's /v1/moderations
   * protocol) when a key is set; the operator's default for flagged images and the classifier's
   * threshold; refusals within `windowMinutes` slow a user after `slowAfter` and suspend after `suspendAfter`.
   */
  moderation: {
    api: { url: string; key: string; model: string } | undefined;
    imagePolicy: 'blur' | 'block';
    imageThreshold: number;
    windowMinutes: number;
    slowAfter: number;
    slowSeconds: number;
    suspendAfter: number;
    suspendHours: number;
  };
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
  if (e.NODE_ENV === 'production' && e.WEBHOOK_ALLOW_HOSTS.length > 0) {
    throw new ConfigError('Invalid configuration:\n  WEBHOOK_ALLOW_HOSTS: not allowed in production (it lets webhooks reach private addresses; it is for local receivers in tests)');
  }
  if (!e.C2PA_SIGNING_CERT !== !e.C2PA_SIGNING_KEY) {
    const missing = e.C2PA_SIGNING_CERT ? 'C2PA_SIGNING_KEY' : 'C2PA_SIGNING_CERT';
    throw new ConfigError(`Invalid configuration:\n  ${missing}: must be set together with ${missing === 'C2PA_SIGNING_KEY' ? 'C2PA_SIGNING_CERT' : 'C2PA_SIGNING_KEY'} (the signing certificate chain and its private key, PEM files)`);
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
    c2pa: e.C2PA_SIGNING_CERT && e.C2PA_SIGNING_KEY ? { certPath: path.resolve(e.C2PA_SIGNING_CERT), keyPath: path.resolve(e.C2PA_SIGNING_KEY) } : undefined,
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
    appealsEmail: e.APPEALS_EMAIL,
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
      ...(e.COMFYUI_URL ? { comfyui: { baseUrl: e.COMFYUI_URL, token: e.COMFYUI_TOKEN, workflowsDir: e.COMFYUI_WORKFLOWS_DIR ? path.resolve(e.COMFYUI_WORKFLOWS_DIR) : undefined } } : {}),
      ...(e.OPENAI_IMAGES_URL ? { openaiImages: { baseUrl: e.OPENAI_IMAGES_URL, apiKey: e.OPENAI_IMAGES_KEY, models: e.OPENAI_IMAGES_MODELS } } : {}),
      mediaAllowHosts: e.MEDIA_FETCH_ALLOW_HOSTS,
    },
    providerPreference: e.MODEL_PROVIDER_ORDER,
    modelProviders: e.MODEL_PROVIDERS,
    breaker: { failures: e.PROVIDER_BREAKER_FAILURES, cooldownSeconds: e.PROVIDER_BREAKER_COOLDOWN_SECONDS },
    providerConcurrency: e.PROVIDER_CONCURRENCY,
    mailFrom: e.MAIL_FROM,
    invitationTtlDays: e.INVITATION_TTL_DAYS,
    boards: { maxUpdateBytes: e.BOARD_MAX_UPDATE_BYTES, maxDocBytes: e.BOARD_MAX_DOC_BYTES, maxSyncBytes: e.BOARD_MAX_SYNC_BYTES, updatesPerSecond: e.BOARD_UPDATES_PER_SECOND, compactAfterUpdates: e.BOARD_COMPACT_AFTER_UPDATES, syncPerMinute: e.BOARD_SYNC_PER_MINUTE, joinsPerMinute: e.BOARD_JOINS_PER_MINUTE, partTimeoutMs: e.BOARD_PART_TIMEOUT_MS, maxUnstoredBytes: e.BOARD_MAX_UNSTORED_BYTES, boardsPerSocket: e.BOARDS_PER_SOCKET, autoVersionEveryMs: e.BOARD_AUTO_VERSION_SECONDS * 1000, commentsPerMinute: e.BOARD_COMMENTS_PER_MINUTE, shareRequestsPerMinute: e.SHARE_LINK_REQUESTS_PER_MINUTE, shareJoinsPerMinute: e.SHARE_LINK_JOINS_PER_MINUTE },
    jobs: { heartbeatSeconds: e.GENERATION_HEARTBEAT_SECONDS, superviseSeconds: e.JOB_SUPERVISE_SECONDS },
    db: { connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS, startupRetrySeconds: e.DB_STARTUP_RETRY_SECONDS },
    socketsPerUser: e.SOCKETS_PER_USER,
    api: { ratePerMinute: e.API_RATE_PER_MINUTE },
    webhooks: { allowHosts: e.WEBHOOK_ALLOW_HOSTS, logRetentionDays: e.WEBHOOK_LOG_RETENTION_DAYS },
    metrics: { enabled: e.METRICS_TOKEN !== undefined || e.METRICS_PORT !== undefined, token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    tracing: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/$/, ''), headers: e.OTEL_EXPORTER_OTLP_HEADERS, serviceName: e.OTEL_SERVICE_NAME },
    moderation: {
      api: e.MODERATION_API_KEY ? { url: (e.MODERATION_API_URL ?? 'https://api.openai.com/v1').replace(/\/$/, ''), key: e.MODERATION_API_KEY, model: e.MODERATION_API_MODEL ?? 'omni-moderation-latest' } : undefined,
      imagePolicy: e.MODERATION_IMAGE_POLICY,
      imageThreshold: e.MODERATION_IMAGE_THRESHOLD,
      windowMinutes: e.MODERATION_REFUSAL_WINDOW_MINUTES,
      slowAfter: e.MODERATION_SLOW_AFTER,
      slowSeconds: e.MODERATION_SLOW_SECONDS,
      suspendAfter: Math.max(e.MODERATION_SUSPEND_AFTER, e.MODERATION_SLOW_AFTER),
      suspendHours: e.MODERATION_SUSPEND_HOURS,
    },
    ...overrides,
  };
  cfg.baseUrl = baseUrl;
  cfg.trustedOrigins = [...new Set([new URL(baseUrl).origin, ...e.TRUSTED_ORIGINS, ...(overrides.trustedOrigins ?? [])])];
  return cfg;
}
