#!/usr/bin/env bash
# The whole test suite: typecheck, import rules, unit + integration (vitest, real PostgreSQL), fault tests, build, e2e (Playwright).
# Run through `npm test`, so node_modules/.bin (with Node 22 from the `node` package) is first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/check-node.mjs
mkdir -p .cache
rm -f .cache/vitest.json .cache/vitest-faults.json .cache/playwright.json

echo "== typecheck (tsc --noEmit)"
tsc --noEmit

echo "== import rules (dependency-cruiser, .dependency-cruiser.cjs; docs/decisions/0023-import-rules.md)"
depcruise app server db jobs scripts e2e bench --output-type err

echo "== unit and integration tests (vitest)"
vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest.json

echo "== fault tests (vitest: SIGKILLed workers, PostgreSQL stopped and started)"
vitest run --config vitest.faults.config.ts --reporter=default --reporter=json --outputFile.json=.cache/vitest-faults.json

echo "== build (remix build)"
remix build

echo "== end-to-end tests (playwright, chromium)"
PLAYWRIGHT_JSON_OUTPUT_NAME=.cache/playwright.json playwright test --reporter=list,json

node scripts/test-summary.mjs .cache/vitest.json .cache/vitest-faults.json .cache/playwright.json
