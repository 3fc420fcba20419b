import fs from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

/**
 * e2e in real Chromium against the real server, in two projects:
 * - `app` (e2e/*.spec.ts): e2e/server.ts, development mode, billing on against a local Stripe fake,
 *   GitHub sign-in against a local fake, on E2E_PORT;
 * - `fresh-install` (e2e/fresh-install/): the product started exactly like `npm start` with no
 *   configuration (production mode, billing off, no SMTP), on E2E_FRESH_PORT (E2E_PORT + 1).
 * Each has its own embedded PostgreSQL in a temporary directory. `--project <name>` starts only that
 * project's server. Debian's chromium is used when present (this machine cannot download
 * Playwright's browser); elsewhere Playwright's own (`npx playwright install chromium`).
 */
const PORT = Number(process.env.E2E_PORT ?? 3211);
const FRESH_PORT = Number(process.env.E2E_FRESH_PORT ?? PORT + 1);
const systemChromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

/** The projects named with --project on the command line (none: all of them). */
function selectedProjects(argv = process.argv): string[] {
  const names: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === '--project' && argv[i + 1]) names.push(argv[i + 1]!);
    else if (arg.startsWith('--project=')) names.push(arg.slice('--project='.length));
  });
  return names;
}
const wanted = (project: string) => {
  const names = selectedProjects();
  return names.length === 0 || names.some((n) => new RegExp(`^${n.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(project));
};

export default defineConfig({
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    ...devices['Desktop Chrome'],
    launchOptions: {
      ...(systemChromium ? { executablePath: systemChromium } : {}),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
  projects: [
    {
      name: 'app',
      testDir: 'e2e',
      testMatch: '*.spec.ts',
      testIgnore: 'fresh-install/**',
      use: { baseURL: `http://localhost:${PORT}` },
    },
    {
      name: 'fresh-install',
      testDir: 'e2e/fresh-install',
      testMatch: '*.spec.ts',
      use: { baseURL: `http://localhost:${FRESH_PORT}` },
    },
  ],
  webServer: [
    ...(wanted('app')
      ? [
          {
            name: 'app',
            command: `tsx e2e/server.ts`,
            url: `http://localhost:${PORT}/readyz`,
            reuseExistingServer: false,
            timeout: 120_000,
            env: { E2E_PORT: String(PORT) },
            stdout: 'ignore' as const,
            stderr: 'pipe' as const,
            // SIGTERM lets e2e/server.ts stop its embedded PostgreSQL and remove its data directory.
            gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 30_000 },
          },
        ]
      : []),
    ...(wanted('fresh-install')
      ? [
          {
            name: 'fresh-install',
            // Like `npm start` after `remix build`: see e2e/fresh-install/server.ts for the environment.
            command: `tsx e2e/fresh-install/server.ts`,
            url: `http://localhost:${FRESH_PORT}/readyz`,
            reuseExistingServer: false,
            timeout: 120_000,
            env: { E2E_FRESH_PORT: String(FRESH_PORT) },
            stdout: 'ignore' as const,
            stderr: 'pipe' as const,
            // Stopped with SIGTERM, as a person stops `npm start` (Ctrl+C), so it shuts down in order.
            gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 30_000 },
          },
        ]
      : []),
  ],
});
