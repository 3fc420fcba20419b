import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The fault tests (`npm run test:faults`): real processes killed with SIGKILL, a PostgreSQL
 * stopped and started under running servers. Slow and heavy, so one file at a time, and kept out
 * of the main suite (vitest.config.ts excludes them).
 */
export default defineConfig({
  test: {
    include: ['server/**/*.faults.test.ts', 'db/**/*.faults.test.ts', 'jobs/**/*.faults.test.ts'],
    exclude: [...configDefaults.exclude],
    globalSetup: ['server/testing/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 90_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ['default'],
  },
});
