/**
 * Board messages from the server to browsers travel as base64 text rather than as Socket.io binary
 * attachments. A text packet is one WebSocket frame that Socket.io frames once for every socket in
 * the room; a binary attachment costs two frames per message, framed again for each socket (and a
 * database row whenever it is broadcast across processes). Board updates and presence are small, so
 * the third more bytes of base64 is the cheaper side. Clients still send binary (one socket each).
 */
import { fromBase64, toBase64 } from 'lib0/buffer';

/** A y-protocols message, base64-encoded. */
export type WireBytes = string;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const toWire = (bytes: Uint8Array): WireBytes => toBase64(bytes);

/** The bytes of a wire message, or null when it is not base64. */
export function fromWire(wire: unknown): Uint8Array | null {
  if (typeof wire !== 'string' || wire.length % 4 !== 0 || !BASE64.test(wire)) return null;
  return fromBase64(wire);
}
