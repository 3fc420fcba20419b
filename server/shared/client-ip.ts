/** Request headers the HTTP pipeline sets (server/http/security.ts) and the services read; never trusted from clients. */

/** The header carrying the client address to better-auth's limiter and to logs. Set by the pipeline, never trusted from clients. */
export const CLIENT_IP_HEADER = 'x-fk-client-ip';
/** For sign-in, where the limiter's address is a per-account key: the real client address, kept for the session record. */
export const REAL_IP_HEADER = 'x-fk-real-ip';
