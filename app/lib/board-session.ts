/**
 * A board opened as early as its page first renders in the browser, while the page is still
 * hydrating: the tab's socket connects, the board is joined and its state arrives and is applied
 * meanwhile, instead of after hydration (when effects run). The page's effect then takes the
 * client over (`takeBoardClient`); one that is never taken is closed after a while.
 */
import { BoardClient } from './board-client.js';
import { tabSocketPromise, type ClientSocket } from './realtime.js';

const UNCLAIMED_MS = 15_000;

let early: { boardId: string; socket: ClientSocket; client: BoardClient; timer: ReturnType<typeof setTimeout> } | null = null;
/** The board whose early client was taken over (not opened early again while its page shows it). */
let claimed: string | null = null;

function drop() {
  if (!early) return;
  clearTimeout(early.timer);
  early.client.destroy();
  early.client.doc.destroy();
  early = null;
}

/** Starts joining `boardId` on the tab's socket, once (called while rendering; does nothing on the server). */
export function openBoardEarly(boardId: string) {
  if (typeof document === 'undefined' || early?.boardId === boardId || claimed === boardId) return;
  tabSocketPromise().then(
    (socket) => {
      if (early?.boardId === boardId || claimed === boardId) return;
      drop();
      const client = new BoardClient(socket, boardId);
      void client.start(); // joins now, or as soon as the socket connects
      early = { boardId, socket, client, timer: setTimeout(drop, UNCLAIMED_MS) };
    },
    () => undefined,
  );
}

/** The board's client on `socket`: the one opened early if there is one, else a new one (started). */
export function takeBoardClient(socket: ClientSocket, boardId: string): BoardClient {
  claimed = boardId;
  if (early && early.boardId === boardId && early.socket === socket) {
    const { client, timer } = early;
    clearTimeout(timer);
    early = null;
    return client;
  }
  drop();
  const client = new BoardClient(socket, boardId);
  void client.start();
  return client;
}

/** The page let its client go (closed it): the board may be opened early again. */
export function releaseBoardClient(boardId: string) {
  if (claimed === boardId) claimed = null;
}
