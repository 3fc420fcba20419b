/**
 * A module loaded on first use instead of with the page. Forms use it for their zod schemas
 * (server/shared/*: the very ones the procedures check), because zod is ~80 kB compressed and a
 * page's first load should not carry it (ADR 0024). Call the loader on the form's focus to start
 * the download early; a failed download is tried again next time (and the server checks anyway).
 */
export function lazyModule<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= load().catch((err: unknown) => {
      pending = undefined;
      throw err;
    }));
}
