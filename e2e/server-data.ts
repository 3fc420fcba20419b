/** What the specs read from the e2e server (e2e/server.ts): its development outbox and its database. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** The one operator (ADMIN_EMAILS) of the e2e server; a spec signs up with it and confirms it. */
export const E2E_OPERATOR_EMAIL = 'operator@flux-klein-e2e.example.test';

export function e2eServer(): { dataDir: string; databaseUrl: string } {
  const port = Number(process.env.E2E_PORT ?? 3211);
  return JSON.parse(fs.readFileSync(path.join(os.tmpdir(), `flux-klein-e2e-${port}.json`), 'utf8')) as { dataDir: string; databaseUrl: string };
}

/** Runs a statement on the e2e server's database (to read what was stored, or to arrange a state). */
export async function sql<T = Record<string, unknown>>(text: string, values: unknown[]): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
  const client = new pg.Client({ connectionString: e2eServer().databaseUrl });
  await client.connect();
  try {
    return await client.query<T & pg.QueryResultRow>(text, values);
  } finally {
    await client.end();
  }
}

/**
 * The first link matching `link` in a message to `to` whose subject matches `subject`, from the
 * development outbox (the e2e server has no SMTP), waiting up to 10 s for it to arrive.
 */
export async function linkFromMail(to: string, subject: RegExp, link = /https?:\/\/\S+/): Promise<string> {
  const dir = path.join(e2eServer().dataDir, 'outbox');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.json')) : []) {
      const m = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { to: string; subject: string; text: string };
      const found = m.to === to && subject.test(m.subject) ? m.text.match(link) : null;
      if (found) return found[0];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to} matching ${subject}`);
}
