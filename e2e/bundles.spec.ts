import { expect, test } from '@playwright/test';
import { weighRoutes } from '../bench/js-per-route.js';

/**
 * What a first visit to each page downloads, read from the build the e2e server serves
 * (public/build, made by `remix build` before this suite): Yjs and the board canvas only on the
 * board pages, and zod on none (ADR 0024: schemas in .server modules, or loaded when a form needs
 * them). The sizes themselves are measured in bench/js-per-route.ts, not here.
 */
test('Yjs only on the board pages, zod on no page’s first load', () => {
  const rows = weighRoutes(undefined, { compress: false });
  expect(rows.length).toBeGreaterThan(30);
  expect(rows.find((r) => r.route === 'boards.$boardId')?.yjs).toBe(true);
  expect(rows.filter((r) => r.yjs && !(r.route.startsWith('boards.$boardId') || r.route === 's.$token')).map((r) => r.route)).toEqual([]);
  expect(rows.filter((r) => r.zod).map((r) => r.route)).toEqual([]);
});
