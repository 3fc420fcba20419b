/**
 * Starts the product the way `npm start` does on a fresh machine, for the `fresh-install` Playwright
 * project: `NODE_ENV=production tsx server/main.ts` (after `remix build`), with an environment that
 * holds nothing but PATH and HOME, a throwaway DATA_DIR, the port, and a free port for the embedded
 * PostgreSQL. No STRIPE_* (billing off), no SMTP_URL (mail goes to the outbox and the server log),
 * no BASE_URL (so it is http://localhost:PORT), no AUTH_RATE_LIMIT (the limits stay on).
 *
 * The product's stdout and stderr go to a file the specs read (the mail lines: subject, recipient,
 * links); where it is, and the data directory, are written to `flux-klein-fresh-<port>.json` in the
 * temporary directory. On SIGTERM/SIGINT the product is stopped the ordinary way and the directory
 * removed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const port = Number(process.env.E2E_FRESH_PORT ?? Number(process.env.E2E_PORT ?? 3211) + 1);
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-klein-fresh-'));
const dataDir = path.join(base, 'data');
const logFile = path.join(base, 'server.log');
fs.mkdirSync(dataDir, { mode: 0o700 });
const infoFile = path.join(os.tmpdir(), `flux-klein-fresh-${port}.json`);
fs.writeFileSync(infoFile, JSON.stringify({ dataDir, logFile, port }));

const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'production',
  DATA_DIR: dataDir,
  PORT: String(port),
  EMBEDDED_PG_PORT: '0',
};
const out = fs.openSync(logFile, 'a', 0o600);
const product = spawn(path.join(root, 'node_modules/.bin/tsx'), ['server/main.ts'], { cwd: root, env, stdio: ['ignore', out, out] });

let stopping = false;
product.on('exit', (code, signal) => {
  fs.closeSync(out);
  if (!stopping) process.stderr.write(`fresh-install server exited (${signal ?? code}); its log:\n${fs.readFileSync(logFile, 'utf8').slice(-4000)}\n`);
  fs.rmSync(base, { recursive: true, force: true });
  fs.rmSync(infoFile, { force: true });
  process.exit(stopping ? 0 : (code ?? 1));
});
const stop = () => {
  if (stopping) return;
  stopping = true;
  // The product stops in order (HTTP, jobs, sockets, pool, embedded PostgreSQL) on SIGTERM.
  product.kill('SIGTERM');
  setTimeout(() => product.kill('SIGKILL'), 25_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
