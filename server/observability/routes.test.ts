import { describe, expect, it } from 'vitest';
import { remixRouteMatcher } from './routes.js';

/** The shape of the Remix build's route manifest, for the routes this app has (a few of them). */
const manifest = {
  root: { id: 'root', path: '' },
  'routes/_index': { id: 'routes/_index', parentId: 'root', index: true },
  'routes/boards._index': { id: 'routes/boards._index', parentId: 'root', path: 'boards', index: true },
  'routes/boards.$boardId': { id: 'routes/boards.$boardId', parentId: 'root', path: 'boards/:boardId' },
  'routes/library.$assetId': { id: 'routes/library.$assetId', parentId: 'root', path: 'library/:assetId' },
  'routes/library._index': { id: 'routes/library._index', parentId: 'root', path: 'library', index: true },
  'routes/settings.privacy': { id: 'routes/settings.privacy', parentId: 'root', path: 'settings/privacy' },
  'routes/workspaces.switch': { id: 'routes/workspaces.switch', parentId: 'root', path: 'workspaces/switch' },
  'routes/workspaces.$workspaceId': { id: 'routes/workspaces.$workspaceId', parentId: 'root', path: 'workspaces/:workspaceId' },
};

describe('Remix route templates for metrics', () => {
  const route = remixRouteMatcher(manifest);

  it('names pages by their template, never by the ids in the path', () => {
    expect(route('/')).toBe('/');
    expect(route('/boards')).toBe('/boards');
    expect(route('/boards/')).toBe('/boards');
    expect(route('/boards/0b9c6a47-3a8e-4f8e-9d53-0d7f3e1c2a11')).toBe('/boards/:boardId');
    expect(route('/library/abc')).toBe('/library/:assetId');
    expect(route('/settings/privacy')).toBe('/settings/privacy');
  });

  it('prefers a static segment over a parameter, as the router does', () => {
    expect(route('/workspaces/switch')).toBe('/workspaces/switch');
    expect(route('/workspaces/7d1c')).toBe('/workspaces/:workspaceId');
  });

  it('names single-fetch data requests after their page', () => {
    expect(route('/boards/0b9c6a47-3a8e-4f8e-9d53-0d7f3e1c2a11.data')).toBe('/boards/:boardId.data');
    expect(route('/_root.data')).toBe('/_root.data');
    expect(route('/settings/privacy.data')).toBe('/settings/privacy.data');
  });

  it('puts every path no route matches under one label', () => {
    for (const p of ['/nope', '/boards/a/b', '/wp-admin/setup.php', '/x.data', '/settings/privacy/extra']) expect(route(p)).toBe('unmatched');
  });
});
