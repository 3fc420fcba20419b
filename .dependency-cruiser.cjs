/**
 * Import rules (docs/decisions/0023-import-rules.md), checked by `npm test` (scripts/test.sh):
 *   npx depcruise app server db jobs scripts e2e bench
 * Type-only imports count: a type the browser needs lives in server/shared/, not in a service.
 */
const TRANSPORTS = '^server/(http|trpc|realtime)/|^server/boards/socket|^server/index\\.ts$|^server/main\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'app-not-to-services',
      comment: 'The browser takes shared types and rules from server/shared/, never from server/services/ (views, costs, permissions live there).',
      severity: 'error',
      from: { path: '^app/' },
      to: { path: '^server/services/' },
    },
    {
      name: 'services-not-to-app',
      comment: 'Services hold the domain logic; they never reach into the UI.',
      severity: 'error',
      from: { path: '^server/services/' },
      to: { path: '^app/' },
    },
    {
      name: 'services-not-to-transports',
      comment: 'Services are called by the transports (HTTP, tRPC, Socket.io, the composition root), never the other way round.',
      severity: 'error',
      from: { path: '^server/services/' },
      to: { path: TRANSPORTS },
    },
    {
      name: 'db-not-to-server',
      comment: 'db/ (kysely factory, schema, migrations, embedded PostgreSQL) depends on nothing above it; CLIs that need config live in server/cli/. Its own tests may use the test harness.',
      severity: 'error',
      from: { path: '^db/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(server|app|jobs)/' },
    },
    {
      name: 'test-helpers-in-testing',
      comment: 'Production code never imports test helpers; they live in server/testing/ (or beside a test as *.test.ts).',
      severity: 'error',
      from: { path: '^(app|server|db|jobs)/', pathNot: '(\\.test\\.ts$|^server/testing/|^server/providers/testing/)' },
      to: { path: '(^server/testing/|^server/providers/testing/|\\.test-helpers\\.ts$)' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles (type-only ones included): split the shared part into its own module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(build|public/build|node_modules|\\.cache|\\.data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    skipAnalysisNotInRules: true,
  },
};
