import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'db/**/*.test.ts', 'jobs/**/*.test.ts', 'app/**/*.test.ts'],
    // Kill/restart tests run on their own: npm run test:faults (vitest.faults.config.ts).
    exclude: [...configDefaults.exclude, '**/*.faults.test.ts'],
    globalSetup: ['server/testing/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
