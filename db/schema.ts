import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Table types. The migrations in db/migrations are the truth; these mirror them. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | T, string | T>;

// ---- better-auth (its default table and column names) ----
export interface UserTable {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  image: string | null;
  twoFactorEnabled: Generated<boolean | null>;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}
export interface SessionTable {
  id: string;
  expiresAt: Timestamp;
  token: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  ipAddress: string | null;
  userAgent: string | null;
  userId: string;
  /** Created by completing a second factor (see migration 0072). */
  twoFactorVerified: Generated<boolean>;
}
export interface AccountTable {
  id: string;
  accountId: string;
  providerId: string;
  userId: string;
  accessToken: string | null;
  refreshToken: string | null;
  idToken: string | null;
  accessTokenExpiresAt: Timestamp | null;
  refreshTokenExpiresAt: Timestamp | null;
  scope: string | null;
  password: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}
export interface VerificationTable {
  id: string;
  identifier: string;
  value: string;
  expiresAt: Timestamp;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface TwoFactorTable {
  id: string;
  secret: string;
  backupCodes: string;
  userId: string;
  verified: boolean | null;
  failedVerificationCount: number | null;
  lockedUntil: Timestamp | null;
}
/** One counted action under a limit key (sliding window; server/services/rate-limits.ts). */
export interface RateLimitHitTable {
  key: string;
  at: Generated<Timestamp>;
}
export interface RateLimitTable {
  id: string;
  key: string;
  count: number;
  lastRequest: number;
}

// ---- product ----
export type WorkspaceKind = 'personal' | 'team';
export type Role = 'owner' | 'admin' | 'editor' | 'viewer';
export interface WorkspaceTable {
  id: Generated<string>;
  name: string;
  kind: WorkspaceKind;
  created_at: Generated<Date>;
  /** An owner's stricter choice for flagged images; null: the operator's default (migration 0090). */
  image_policy: Generated<ImagePolicy | null>;
  /** The owner's or an admin's choice: viewers may comment on boards (migration 0115). */
  viewers_may_comment: Generated<boolean>;
  /** Whether share links of this workspace's boards work (owners and admins switch it; migration 0110). */
  allow_share_links: Generated<boolean>;
}
export type ImagePolicy = 'blur' | 'block';
export interface MembershipTable {
  workspace_id: string;
  user_id: string;
  role: Role;
  created_at: Generated<Date>;
  /** When the member last did something in the workspace (board edits, joins); null: never. */
  last_active_at: Generated<Date | null>;
}

export type GenerationStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
export interface GenerationParams {
  model: string;
  aspectRatio: string;
  width: number;
  height: number;
  seed: number;
  count?: number;
  steps?: number;
  guidance?: number;
  durationSeconds?: number;
  fps?: number;
  /** What the picture should not show, for models that take one (migration 0120 era; absent before). */
  negativePrompt?: string;
}
export type LineageKind = 'rerun' | 'variation' | 'edit';
export interface GenerationTable {
  id: Generated<string>;
  workspace_id: string;
  user_id: string;
  kind: 'image' | 'video';
  mode: 'text' | 'image';
  prompt: string;
  params: Json<GenerationParams>;
  provider: string;
  status: Generated<GenerationStatus>;
  progress: Generated<number>;
  error_code: string | null;
  error_message: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  started_at: Date | null;
  finished_at: Date | null;
  credit_cost: Generated<number>;
  board_id: string | null;
  rerun_of: string | null;
  /** Lineage (migration 0120): the generation and the output it came from; no foreign keys, so a deleted ancestor leaves its id. */
  parent_generation_id: Generated<string | null>;
  parent_asset_id: Generated<string | null>;
  lineage: Generated<LineageKind | null>;
  /** The provider's last status line (queue position, a log line) while it runs. */
  status_message: Generated<string | null>;
}

export interface PromptHistoryTable {
  id: Generated<string>;
  user_id: string;
  prompt: string;
  negative_prompt: string | null;
  uses: Generated<number>;
  last_used_at: Generated<Date>;
}

export interface StylePresetTable {
  id: Generated<string>;
  workspace_id: string;
  created_by: string | null;
  name: string;
  prompt_suffix: string;
  negative_prompt: string | null;
  created_at: Generated<Date>;
}

export interface GenerationReferenceTable {
  generation_id: string;
  asset_id: string;
  position: number;
}

export interface CreditLedgerTable {
  id: Generated<string>;
  /** Null once the workspace is deleted: billing records are kept. */
  workspace_id: string | null;
  user_id: string | null;
  delta: number;
  reason: string;
  ref: string;
  created_at: Generated<Date>;
}

export interface AssetTable {
  id: Generated<string>;
  workspace_id: string;
  user_id: string;
  generation_id: string | null;
  source: 'output' | 'upload';
  media: 'image' | 'video';
  storage_key: string;
  mime: string;
  size_bytes: number;
  width: number | null;
  height: number | null;
  sha256: string;
  saved: Generated<boolean>;
  favorite: Generated<boolean>;
  deleted_at: Date | null;
  created_at: Generated<Date>;
  tags: Generated<string[]>;
  original_name: string | null;
  output_index: number | null;
  /** kept by a trigger (migration 0080): prompt and upload name, for library search */
  search: Generated<string | null>;
  /** kept by a trigger: the seed this output was made with (generation seed + output index) */
  seed: Generated<string | null>;
  /** set while an operator has hidden the asset everywhere (migration 0095) */
  hidden_at: Generated<Date | null>;
  hidden_reason: Generated<string | null>;
  /** The local image classifier's class scores (migration 0090); null while not classified. */
  nsfw_scores: ColumnType<Record<string, number> | null, string | null | undefined, string | null>;
  /** The classifier and model that gave them, e.g. "nsfwjs 4.4.0 MobileNetV2". */
  nsfw_model: Generated<string | null>;
  /** Whether the scores cross the configured threshold (the workspace policy then blurs or blocks it). */
  nsfw_flagged: Generated<boolean | null>;
  classified_at: Generated<Date | null>;
}

// ---- privacy ----
export interface DataExportTable {
  id: Generated<string>;
  user_id: string;
  status: Generated<'queued' | 'ready' | 'failed'>;
  storage_key: string | null;
  size_bytes: number | null;
  created_at: Generated<Date>;
  ready_at: Date | null;
  expires_at: Date | null;
}
export interface DeletionRequestTable {
  id: Generated<string>;
  user_id: string;
  /** failed: every attempt of the job failed; kept (finished_at null) until an operator finishes it. */
  status: Generated<'pending' | 'canceled' | 'completed' | 'failed'>;
  requested_at: Generated<Date>;
  scheduled_for: Date;
  finished_at: Date | null;
  /** cancelled by signing in, and the person not told yet (shown once after that sign-in) */
  sign_in_notice: Generated<boolean>;
}
/** A completed account deletion, by pseudonym (server/services/privacy.ts: replayDeletions). */
export interface DeletionLogTable {
  subject: string;
  deleted_at: Generated<Date>;
}
export interface AuditLogTable {
  id: Generated<string>;
  user_id: string | null;
  action: string;
  detail: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
}

export interface ConsentRecordTable {
  id: Generated<string>;
  user_id: string | null;
  preferences: boolean;
  analytics: boolean;
  policy_version: string;
  source: 'banner' | 'settings' | 'visitor-cookie';
  ip_network: string | null;
  created_at: Generated<Date>;
}
export interface BackupTable {
  id: Generated<string>;
  storage_key: string;
  size_bytes: number;
  tables: number;
  rows: number;
  created_at: Generated<Date>;
}
export interface PrivacyRequestTable {
  id: Generated<string>;
  user_id: string | null;
  kind: 'access' | 'correction' | 'deletion' | 'portability' | 'objection';
  message: string;
  status: Generated<'open' | 'in_progress' | 'done' | 'rejected'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface PolicyAcceptanceTable {
  user_id: string;
  policy: string;
  version: string;
  method: 'sign-up' | 'clicked' | 'continued-use';
  accepted_at: Generated<Date>;
}
export interface UsageLogTable {
  id: Generated<string>;
  user_id: string | null;
  at: Generated<Date>;
  method: string;
  route: string;
  status: number;
  error_code: string | null;
  device: string | null;
  ip_network: string | null;
}
export interface AnalyticsEventTable {
  id: Generated<string>;
  user_id: string | null;
  name: string;
  path: string | null;
  created_at: Generated<Date>;
}

// ---- billing (Stripe metadata only) ----
export interface BillingCustomerTable {
  workspace_id: string;
  stripe_customer_id: string;
  card_brand: string | null;
  card_last4: string | null;
  created_at: Generated<Date>;
}
export interface SubscriptionTable {
  id: string;
  /** Null once the workspace is deleted: billing records are kept. */
  workspace_id: string | null;
  status: string;
  price_id: string;
  current_period_end: Date | null;
  cancel_at_period_end: Generated<boolean>;
  source_event_at: Generated<number>;
  updated_at: Generated<Date>;
}
export interface InvoiceTable {
  id: string;
  /** Null once the workspace is deleted: billing records are kept. */
  workspace_id: string | null;
  status: string;
  amount_cents: number;
  currency: string;
  hosted_invoice_url: string | null;
  created_at: Generated<Date>;
}
export interface StripeEventTable {
  id: string;
  type: string;
  outcome: string;
  processed_at: Generated<Date>;
}
export interface CreditPurchaseTable {
  payment_intent_id: string;
  /** Null once the workspace is deleted: billing records are kept. */
  workspace_id: string | null;
  checkout_session_id: string;
  credits: number;
  amount_cents: number;
  /** The highest cumulative refund (Stripe's amount_refunded) already applied. */
  refunded_cents: Generated<number>;
  created_at: Generated<Date>;
}

// ---- teams and boards (issue 5) ----
export interface InvitationTable {
  id: Generated<string>;
  workspace_id: string;
  email: string;
  role: Exclude<Role, 'owner'>;
  token_hash: string;
  invited_by: string | null;
  expires_at: Date;
  accepted_at: Date | null;
  accepted_by: string | null;
  revoked_at: Date | null;
  created_at: Generated<Date>;
  sent_at: Generated<Date>;
}
export interface BoardTable {
  id: Generated<string>;
  workspace_id: string;
  name: string;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
/** A view-only link to a board (migration 0110): only the token's SHA-256 is stored. */
export interface BoardShareLinkTable {
  id: Generated<string>;
  board_id: string;
  workspace_id: string;
  token_hash: string;
  label: string;
  show_names: Generated<boolean>;
  created_by: string | null;
  created_at: Generated<Date>;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
}
export interface BoardUpdateTable {
  id: Generated<number>;
  board_id: string;
  update: Uint8Array;
  user_id: string | null;
  created_at: Generated<Date>;
}
/** A stored board update that threw when applied, moved aside when the board loaded (0071). */
export interface BoardUpdateQuarantineTable {
  id: Generated<number>;
  board_id: string;
  /** the id it had in board_update */
  seq: number;
  update: Uint8Array;
  user_id: string | null;
  error: string;
  quarantined_at: Generated<Date>;
}
export interface BoardLiveTable {
  board_id: string;
  origin: string;
  expires_at: Date;
}
/** Which boards show which assets (maintained from board updates; recomputed on compaction). */
export interface BoardAssetTable {
  board_id: string;
  asset_id: string;
  added_at: Generated<Date>;
}
export interface BoardVersionTable {
  id: Generated<string>;
  board_id: string;
  kind: 'named' | 'auto';
  /** named: the name given; auto: a description (e.g. before a restore) or null */
  name: string | null;
  state: Uint8Array;
  item_count: number;
  bytes: number;
  created_by: string | null;
  created_at: Generated<Date>;
}
export interface BoardSnapshotTable {
  board_id: string;
  state: Uint8Array;
  updates_merged: Generated<number>;
  compacted_at: Generated<Date>;
}
/** A comment thread on a board, pinned to an item or a point (migration 0115, server/boards/comments.ts). */
export interface BoardCommentThreadTable {
  id: Generated<string>;
  board_id: string;
  workspace_id: string;
  item_id: string | null;
  x: number;
  y: number;
  created_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface BoardCommentTable {
  id: Generated<string>;
  thread_id: string;
  /** null: the author deleted their account */
  author_id: string | null;
  body: string;
  created_at: Generated<Date>;
  edited_at: Date | null;
  /** a first comment deleted while it has replies stays as a marker, its body emptied */
  deleted_at: Date | null;
}
export interface NotificationTable {
  id: Generated<string>;
  user_id: string;
  workspace_id: string | null;
  kind: string;
  title: string;
  body: string | null;
  link: string | null;
  ref: string;
  read_at: Date | null;
  created_at: Generated<Date>;
}

// ---- reports and takedown (issue 15, migration 0095) ----
export type ReportStatus = 'open' | 'actioned' | 'dismissed';
export interface ReportTable {
  id: Generated<string>;
  /** how the reporter saw it: 'member' (of the workspace); later a share-link viewer */
  via: Generated<'member' | 'link'>;
  /** the share link a link holder reported through (via 'link'; migration 0110) */
  share_link_id: string | null;
  reporter_id: string | null;
  workspace_id: string | null;
  asset_id: string | null;
  board_id: string | null;
  item_id: string | null;
  subject_user_id: string | null;
  excerpt: string | null;
  reason: string;
  note: string | null;
  status: Generated<ReportStatus>;
  resolved_by: string | null;
  resolved_at: Date | null;
  resolution: string | null;
  created_at: Generated<Date>;
}
export interface AccountStandingTable {
  user_id: string;
  status: 'suspended' | 'banned';
  /** a REPORT_REASONS code, or 'refused_prompts' (server/shared/reports.ts) */
  reason: string;
  /** the operator's message, or what moderation counted */
  note: string | null;
  decided_by: string | null;
  since: Generated<Date>;
  /** null: until an operator lifts it (migration 0140) */
  until: Date | null;
  source: Generated<'operator' | 'moderation'>;
}
/** The rows of account_standing still in force (`until` not passed): what every reader uses (migration 0140). */
export interface ActiveStandingView {
  user_id: string;
  status: 'suspended' | 'banned';
  reason: string;
  note: string | null;
  decided_by: string | null;
  since: Date;
  until: Date | null;
  source: 'operator' | 'moderation';
}
export interface AppealTable {
  id: Generated<string>;
  user_id: string;
  /** null: about the account (a suspension) */
  asset_id: string | null;
  message: string;
  /** ended: the suspension ran out before anyone answered */
  status: Generated<'open' | 'granted' | 'refused' | 'ended'>;
  answer: string | null;
  answered_by: string | null;
  answered_at: Date | null;
  created_at: Generated<Date>;
}
// ---- moderation (issue 15, migration 0090) ----
export interface ModerationTermTable {
  id: Generated<string>;
  term: string;
  category: string;
  added_by: string | null;
  created_at: Generated<Date>;
}
export interface ModerationRefusalTable {
  id: Generated<string>;
  user_id: string;
  workspace_id: string | null;
  category: string;
  source: 'terms' | 'api';
  created_at: Generated<Date>;
}

// ---- public API and webhooks (issue 18, migration 0130) ----
export type ApiScope = 'read' | 'generate';
export interface ApiKeyTable {
  id: Generated<string>;
  user_id: string;
  workspace_id: string;
  kind: 'personal' | 'workspace';
  name: string;
  prefix: string;
  token_hash: string;
  scopes: ApiScope[];
  created_at: Generated<Date>;
  last_used_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
}
export interface WebhookEndpointTable {
  id: Generated<string>;
  workspace_id: string;
  url: string;
  description: Generated<string>;
  secret: string;
  events: string[];
  created_by: string | null;
  created_at: Generated<Date>;
  deleted_at: Date | null;
}
export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';
export interface WebhookDeliveryTable {
  id: Generated<string>;
  endpoint_id: string;
  workspace_id: string;
  message_id: string;
  event_type: string;
  payload: Json<Record<string, unknown>>;
  resend_of: string | null;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Generated<Date>;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
}

export interface DB {
  user: UserTable;
  session: SessionTable;
  account: AccountTable;
  verification: VerificationTable;
  twoFactor: TwoFactorTable;
  rateLimit: RateLimitTable;
  rate_limit_hit: RateLimitHitTable;
  workspace: WorkspaceTable;
  membership: MembershipTable;
  generation: GenerationTable;
  asset: AssetTable;
  generation_reference: GenerationReferenceTable;
  credit_ledger: CreditLedgerTable;
  data_export: DataExportTable;
  deletion_request: DeletionRequestTable;
  deletion_log: DeletionLogTable;
  audit_log: AuditLogTable;
  consent_record: ConsentRecordTable;
  analytics_event: AnalyticsEventTable;
  usage_log: UsageLogTable;
  policy_acceptance: PolicyAcceptanceTable;
  privacy_request: PrivacyRequestTable;
  backup: BackupTable;
  billing_customer: BillingCustomerTable;
  subscription: SubscriptionTable;
  invoice: InvoiceTable;
  stripe_event: StripeEventTable;
  credit_purchase: CreditPurchaseTable;
  invitation: InvitationTable;
  board: BoardTable;
  board_share_link: BoardShareLinkTable;
  board_update: BoardUpdateTable;
  board_snapshot: BoardSnapshotTable;
  board_version: BoardVersionTable;
  board_live: BoardLiveTable;
  board_asset: BoardAssetTable;
  board_update_quarantine: BoardUpdateQuarantineTable;
  board_comment_thread: BoardCommentThreadTable;
  board_comment: BoardCommentTable;
  notification: NotificationTable;
  report: ReportTable;
  account_standing: AccountStandingTable;
  active_standing: ActiveStandingView;
  appeal: AppealTable;
  moderation_term: ModerationTermTable;
  moderation_refusal: ModerationRefusalTable;
  api_key: ApiKeyTable;
  webhook_endpoint: WebhookEndpointTable;
  webhook_delivery: WebhookDeliveryTable;
  prompt_history: PromptHistoryTable;
  style_preset: StylePresetTable;
}

export type Workspace = Selectable<WorkspaceTable>;
export type Generation = Selectable<GenerationTable>;
export type NewGeneration = Insertable<GenerationTable>;
export type GenerationUpdate = Updateable<GenerationTable>;
export type Asset = Selectable<AssetTable>;
