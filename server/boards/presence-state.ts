/**
 * The presence of one live board (y-protocols awareness and who speaks for each client id), as held by
 * `LiveBoard.presence`: made when someone first sends theirs, dropped by presence.ts's sweep once
 * nobody has any. Apart from presence.ts so that live.ts can name it without importing presence.ts.
 */
import * as awarenessProtocol from 'y-protocols/awareness';

/** y-protocols' timeout: a client renews its state every 15 s; one silent for 30 s is gone. */
export const PRESENCE_TIMEOUT_MS = awarenessProtocol.outdatedTimeout;

/**
 * The Awareness of a board is not bound to its document (y-protocols uses the document only for its
 * client id and to destroy the Awareness along with it): this stands in, so an Awareness can come and
 * go while the document stays. The server has no presence of its own (its local state stays null).
 */
const NO_DOC = { clientID: 0, on() {} } as unknown as ConstructorParameters<typeof awarenessProtocol.Awareness>[0];

/** The presence of one live board: made when first needed, dropped by presence.ts's `sweep`. */
export class BoardPresence {
  readonly awareness = new awarenessProtocol.Awareness(NO_DOC);
  /**
   * Who speaks for each awareness client id: the user who first used it here, through their latest
   * socket (a tab that reconnects before its old connection timed out takes its cursor along).
   * Other users may not speak for it.
   */
  readonly owners = new Map<number, { userId: string; socketId: string }>();
  /** Awareness clients changed by this process's sockets since the last relay to other processes. */
  readonly relayClients = new Set<number>();
  relayTimer: NodeJS.Timeout | null = null;
  /** When a state here last changed (Date.now()). */
  changedAt = Date.now();
  constructor() {
    // One sweep per process (presence.ts) does what this interval would do for each board.
    clearInterval(this.awareness._checkInterval);
    this.awareness.setLocalState(null);
    this.awareness.meta.delete(NO_DOC.clientID);
  }
  destroy() {
    if (this.relayTimer) clearTimeout(this.relayTimer);
    this.relayTimer = null;
    this.awareness.destroy();
  }
}
