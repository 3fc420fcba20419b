/**
 * What the fresh-install specs read from the server started like `npm start` (./server.ts): its log,
 * where a person on a fresh install finds the links of the mail the product "sent", and its
 * database (found the way `npm run worker` finds it, through DATA_DIR/embedded-db-url), to check
 * what was stored.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const FRESH_PORT = Number(process.env.E2E_FRESH_PORT ?? Number(process.env.E2E_PORT ?? 3211) + 1);

export function freshServer(): { dataDir: string; logFile: string; port: number } {
  return JSON.parse(fs.readFileSync(path.join(os.tmpdir(), `flux-klein-fresh-${FRESH_PORT}.json`), 'utf8')) as { dataDir: string; logFile: string; port: number };
}

/** The server's log as written so far: one JSON object per line (other lines, like the banner, as text). */
export function logLines(): Array<Record<string, unknown> | string> {
  return fs
    .readFileSync(freshServer().logFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return l;
      }
    });
}

export interface MailLine {
  subject: string;
  to: string;
  links: string[];
}

/** The mail lines in the log (`mail written to the local outbox`), oldest first. */
export function mailLines(): MailLine[] {
  return logLines().filter((l): l is Record<string, unknown> & MailLine => typeof l === 'object' && l.msg === 'mail written to the local outbox');
}

/**
 * The link matching `link` in the newest message to `to` whose subject matches `subject`, read from
 * the server log, waiting up to 10 s for it (after `after` earlier such messages, to wait for a new one).
 */
export async function linkFromLog(to: string, subject: RegExp, link: RegExp, after = 0): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = mailLines()
      .filter((m) => m.to === to && subject.test(m.subject))
      .slice(after)
      .flatMap((m) => m.links.filter((l) => link.test(l)));
    if (found.length > 0) return found[found.length - 1]!;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject} in the server log`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a statement on the fresh server's embedded database (to read what was stored). */
export async function sql<T = Record<string, unknown>>(text: string, values: unknown[]): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
  const client = new pg.Client({ connectionString: fs.readFileSync(path.join(freshServer().dataDir, 'embedded-db-url'), 'utf8').trim() });
  await client.connect();
  try {
    return await client.query<T & pg.QueryResultRow>(text, values);
  } finally {
    await client.end();
  }
}
