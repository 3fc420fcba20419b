/**
 * Real child processes for the fault tests: a web server (`server/main.ts`, as `npm start` runs it)
 * or a worker (`jobs/worker-main.ts`, as `npm run worker` does), started with their own environment, waited on until ready, and
 * stopped with a real signal (SIGKILL for a crash, SIGTERM for a graceful stop).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../db/embedded.js';
import { loadConfig, type Config } from '../config.js';

// `node --import tsx`, not the `tsx` CLI: the CLI runs the script in a child node process, so a
// SIGKILL sent to it would kill only the wrapper and leave the real server or worker running.

export interface Proc {
  kind: 'web' | 'worker';
  child: ChildProcess;
  pid: number;
  /** Everything it wrote (stdout and stderr), for assertions and failure messages. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
  /** Waits for a line of output matching `re`, with a deadline. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface WebProc extends Proc {
  url: string;
  /** The web process's configuration as the test sees it (base URL, trusted origins) for the harness clients. */
  config: Config;
}

/** The session secret of every process these tests start (an in-process server sharing their sessions uses it too). */
export const AUTH_SECRET = 'fault-test-secret-fault-test-secret-00';

function start(kind: 'web' | 'worker', env: Record<string, string>): Proc {
  const script = kind === 'web' ? 'server/main.ts' : 'jobs/worker-main.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', HOST: '127.0.0.1', AUTH_RATE_LIMIT: 'false', BETTER_AUTH_SECRET: AUTH_SECRET, ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += String(d);
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of [...waiters]) w();
  });
  return {
    kind,
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    waitForOutput(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out waiting for ${re} from ${kind} ${child.pid}; output:\n${out}`)), timeoutMs);
        const check = () => {
          const m = out.split('\n').find((l) => re.test(l));
          if (m !== undefined) return finish(null, m);
          if (done) finish(new Error(`${kind} ${child.pid} exited before ${re}; output:\n${out}`));
        };
        const finish = (err: Error | null, line?: string) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve(line!);
        };
        waiters.add(check);
        check();
      });
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Starts `tsx server/main.ts` (web, with or without its worker) and waits until it listens. */
export async function startWebProcess(opts: { databaseUrl: string; dataDir: string; baseUrl?: string; env?: Record<string, string>; wait?: boolean; readyTimeoutMs?: number }): Promise<WebProc> {
  const port = await freePort();
  const env = { DATABASE_URL: opts.databaseUrl, DATA_DIR: opts.dataDir, PORT: String(port), ...(opts.baseUrl ? { BASE_URL: opts.baseUrl } : {}), ...opts.env };
  const proc = start('web', env);
  const config = loadConfig({ ...env, BETTER_AUTH_SECRET: AUTH_SECRET });
  const web: WebProc = { ...proc, url: `http://127.0.0.1:${port}`, config };
  if (opts.wait !== false) await proc.waitForOutput(/"msg":"Flux Klein is ready"/, opts.readyTimeoutMs ?? 60_000);
  return web;
}

/** Starts `tsx jobs/worker-main.ts` and waits until its workers are registered. */
export async function startWorkerProcess(opts: { databaseUrl: string; dataDir: string; env?: Record<string, string>; wait?: boolean; readyTimeoutMs?: number }): Promise<Proc> {
  const proc = start('worker', { DATABASE_URL: opts.databaseUrl, DATA_DIR: opts.dataDir, ...opts.env });
  if (opts.wait !== false) await proc.waitForOutput(/"msg":"worker ready"/, opts.readyTimeoutMs ?? 60_000);
  return proc;
}

/** Kills whatever is still running (for `finally` blocks). */
export async function killAll(procs: (Proc | undefined)[]) {
  await Promise.all(procs.map((p) => p?.kill('SIGKILL')));
}
