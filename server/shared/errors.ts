/**
 * Error codes shared by server and UI. Services throw AppError with a code; one table maps codes to
 * HTTP/tRPC statuses; the UI turns codes into text a person can act on.
 */
export const ERROR_CODES = {
  UNAUTHORIZED: { http: 401, trpc: 'UNAUTHORIZED', message: 'Please sign in to continue.' },
  FORBIDDEN: { http: 403, trpc: 'FORBIDDEN', message: 'You do not have permission to do that.' },
  FOREIGN_ORIGIN: { http: 403, trpc: 'FORBIDDEN', message: 'This request came from another site and was refused.' },
  NOT_FOUND: { http: 404, trpc: 'NOT_FOUND', message: 'We could not find that. It may have been deleted.' },
  INVALID_INPUT: { http: 400, trpc: 'BAD_REQUEST', message: 'Some of the values you entered are not valid.' },
  CONFLICT: { http: 409, trpc: 'CONFLICT', message: 'That changed in the meantime. Please try again.' },
  INSUFFICIENT_CREDITS: { http: 402, trpc: 'PAYMENT_REQUIRED', message: 'There are not enough credits for this. Buy credits or make fewer outputs.' },
  RATE_LIMITED: { http: 429, trpc: 'TOO_MANY_REQUESTS', message: 'Too many requests. Please wait a moment and try again.' },
  PAYLOAD_TOO_LARGE: { http: 413, trpc: 'PAYLOAD_TOO_LARGE', message: 'That is too large.' },
  PROVIDER_UNAVAILABLE: { http: 503, trpc: 'INTERNAL_SERVER_ERROR', message: 'The image model is not reachable right now. Please try again in a minute.' },
  GENERATION_FAILED: { http: 500, trpc: 'INTERNAL_SERVER_ERROR', message: 'The generation failed. Please try again.' },
  // teams and boards (issue 5)
  INVITATION_EXPIRED: { http: 410, trpc: 'BAD_REQUEST', message: 'This invitation has expired. Ask the person who invited you to send a new one.' },
  INVITATION_USED: { http: 410, trpc: 'BAD_REQUEST', message: 'This invitation has already been used.' },
  INVITATION_REVOKED: { http: 410, trpc: 'BAD_REQUEST', message: 'This invitation was withdrawn. Ask the workspace admin for a new one.' },
  TOO_MANY_INVITATIONS: { http: 429, trpc: 'TOO_MANY_REQUESTS', message: 'Many invitations were sent in the last hour. Please wait a while before sending more.' },
  INVITATION_WRONG_EMAIL: { http: 403, trpc: 'FORBIDDEN', message: 'This invitation was sent to a different email address. Sign in with that address to accept it.' },
  BOARD_READ_ONLY: { http: 403, trpc: 'FORBIDDEN', message: 'You can view this board but not change it. Ask an admin for editor access.' },
  BOARD_UPDATE_MALFORMED: { http: 400, trpc: 'BAD_REQUEST', message: 'That change to the board could not be read and was not saved.' },
  BOARD_UPDATE_TOO_LARGE: { http: 413, trpc: 'PAYLOAD_TOO_LARGE', message: 'That change is too large to save in one go.' },
  BOARD_FULL: { http: 413, trpc: 'PAYLOAD_TOO_LARGE', message: 'This board is full. Remove some items or start a new board.' },
  BOARD_ACCESS_REVOKED: { http: 403, trpc: 'FORBIDDEN', message: 'You no longer have access to this board.' },
  // a Stripe webhook whose signature does not verify (server/http/stripe-webhook.ts)
  INVALID_SIGNATURE: { http: 400, trpc: 'BAD_REQUEST', message: 'The request signature could not be verified.' },
  BOARD_SYNC_LIMITED: { http: 429, trpc: 'TOO_MANY_REQUESTS', message: 'The board was sent to this tab too often. Wait a minute, then reload it.' },
  BOARD_PART_TIMEOUT: { http: 408, trpc: 'BAD_REQUEST', message: 'Part of a change did not arrive in time and was dropped. It is sent again when you reconnect.' },
  BOARD_TOO_MANY_OPEN: { http: 429, trpc: 'TOO_MANY_REQUESTS', message: 'Too many boards are open in this tab. Close one first.' },
  TOO_MANY_SOCKETS: { http: 429, trpc: 'TOO_MANY_REQUESTS', message: 'You have too many tabs or devices connected. Close some and reload.' },
  BOARD_SAVE_BEHIND: { http: 503, trpc: 'INTERNAL_SERVER_ERROR', message: 'Your changes cannot be saved right now. They are kept in this tab and sent again in a moment.' },
  BOARD_UPDATE_INVALID: { http: 400, trpc: 'BAD_REQUEST', message: 'That change does not fit this board and was not saved. Reload the board and try again.' },
  ASSET_IN_USE: { http: 409, trpc: 'CONFLICT', message: 'This image is on a board. Delete it anyway?' },
  // reports and takedown (issue 15)
  ACCOUNT_SUSPENDED: { http: 403, trpc: 'FORBIDDEN', message: 'Your account is suspended: you can look at and download your work, but not generate, upload or change boards. You can ask for a review on your account page.' },
  ACCOUNT_BANNED: { http: 403, trpc: 'FORBIDDEN', message: 'This account is banned and cannot sign in.' },
  ASSET_HIDDEN: { http: 403, trpc: 'FORBIDDEN', message: 'This item was hidden by moderators.' },
  // moderation (issue 15): a refused prompt costs nothing; repeated refusals slow, then suspend
  PROMPT_REFUSED: { http: 422, trpc: 'UNPROCESSABLE_CONTENT', message: 'This prompt was not sent: it asks for something that is not allowed here. Nothing was charged.' },
  GENERATION_SLOWED: { http: 429, trpc: 'TOO_MANY_REQUESTS', message: 'Several of your prompts were refused recently, so generating is slowed down for you. Please wait a minute.' },
  MODERATION_UNAVAILABLE: { http: 503, trpc: 'INTERNAL_SERVER_ERROR', message: 'The prompt check is not reachable right now, so nothing was started or charged. Please try again in a minute.' },
  // the public API (issue 18): a key is sent as `Authorization: Bearer fk_…`
  API_KEY_MISSING: { http: 401, trpc: 'UNAUTHORIZED', message: 'Send an API key in the Authorization header: "Authorization: Bearer fk_…". Create one in Settings → API.' },
  API_KEY_INVALID: { http: 401, trpc: 'UNAUTHORIZED', message: 'This API key is not valid. Check that it was copied whole, or create a new one in Settings → API.' },
  API_KEY_REVOKED: { http: 401, trpc: 'UNAUTHORIZED', message: 'This API key was revoked. Create a new one in Settings → API.' },
  API_KEY_SCOPE: { http: 403, trpc: 'FORBIDDEN', message: 'This API key does not have the scope this needs.' },
  // outgoing webhooks (issue 18): a target that is not a public address is never called
  WEBHOOK_URL_REFUSED: { http: 400, trpc: 'BAD_REQUEST', message: 'Webhooks can only be sent to a public http(s) address.' },
  // share links (issue 17): a link that was revoked, expired, switched off or never existed
  SHARE_LINK_INVALID: { http: 410, trpc: 'NOT_FOUND', message: 'This link is no longer valid. Ask the person who shared it for a new one.' },
  SHARE_LINKS_OFF: { http: 403, trpc: 'FORBIDDEN', message: 'Sharing boards by link is turned off for this workspace. Owners and admins can turn it on in the workspace settings.' },
  // queue, presets (issue 18)
  JOB_NOT_YOURS: { http: 403, trpc: 'FORBIDDEN', message: 'You can move only your own jobs in the queue.' },
  QUEUE_CHANGED: { http: 409, trpc: 'CONFLICT', message: 'The queue changed meanwhile (a job started or ended). Look again and retry.' },
  PRESET_NAME_TAKEN: { http: 409, trpc: 'CONFLICT', message: 'This workspace already has a preset with that name.' },
  TOO_MANY_PRESETS: { http: 409, trpc: 'CONFLICT', message: 'This workspace has as many style presets as it can keep. Delete one first.' },
  INTERNAL: { http: 500, trpc: 'INTERNAL_SERVER_ERROR', message: 'Something went wrong on our side. Please try again.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === 'string' && v in ERROR_CODES;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  /** Seconds after which trying again may succeed; sent as the HTTP Retry-After header. */
  readonly retryAfterSeconds?: number;
  constructor(code: ErrorCode, opts: { userMessage?: string; cause?: unknown; retryAfterSeconds?: number } = {}) {
    const userMessage = opts.userMessage ?? ERROR_CODES[code].message;
    super(userMessage, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.userMessage = userMessage;
    if (opts.retryAfterSeconds !== undefined) this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/** The message to show a person for a code (and an optional server-provided message). */
export function messageFor(code: string | undefined, serverMessage?: string): string {
  if (serverMessage && code && isErrorCode(code) && code !== 'INTERNAL') return serverMessage;
  if (code && isErrorCode(code)) return ERROR_CODES[code].message;
  return ERROR_CODES.INTERNAL.message;
}
