/**
 * The route a request is counted under in metrics and named by in traces: always a template
 * written in the code (`/files/:id`, `/boards/:boardId`, `/trpc/:procedure`), or one of a few
 * constants (`static`, `unmatched`), never the raw path, so label cardinality stays bounded
 * whatever paths clients send (server/observability/observability.test.ts sends random ones).
 */
import type { Request, Response } from 'express';

type RemixRoutes = Record<string, { id: string; parentId?: string; path?: string; index?: boolean }>;

/** `res.locals` key under which a handler may name its own route (the Remix and tRPC mounts do). */
export const ROUTE_LOCAL = 'routeTemplate';

/** Names the request's route once it has been handled (called on the response's `finish`/`close`). */
export function routeTemplate(req: Request, res: Response): string {
  const named = res.locals[ROUTE_LOCAL];
  if (typeof named === 'string') return named;
  // An Express route matched: its path as written (`/files/:id`), under its router's mount point.
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string' && route.path !== '*') return `${req.baseUrl ?? ''}${route.path}` || '/';
  // express.static answers without a route; anything else unmatched is one label.
  if (res.statusCode < 400 && (req.method === 'GET' || req.method === 'HEAD')) return 'static';
  return 'unmatched';
}

/**
 * The Remix route template of a page path (`/boards/0b9…` → `/boards/:boardId`), from the build's
 * route manifest; `unmatched` when no route matches. Ranked like React Router: more static
 * segments first, then more segments, then fewer splats.
 */
export function remixRouteMatcher(routes: RemixRoutes): (pathname: string) => string {
  const fullPath = (id: string): string => {
    const r = routes[id];
    if (!r) return '';
    const parent = r.parentId ? fullPath(r.parentId) : '';
    return r.path ? `${parent}/${r.path}`.replace(/\/+/g, '/') : parent;
  };
  const compiled = Object.values(routes)
    // Pathless layouts match nothing by themselves; the root (path '') and index routes do.
    .filter((r) => r.path !== undefined || r.index)
    .map((r) => {
      const template = fullPath(r.id) || '/';
      const segments = template.split('/').filter(Boolean);
      const pattern = segments
        .map((s) => (s === '*' ? '(?:/.*)?' : s.startsWith(':') ? (s.endsWith('?') ? '(?:/[^/]+)?' : '/[^/]+') : `/${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
        .join('');
      return {
        template,
        re: new RegExp(`^${pattern}/?$`, 'i'),
        rank: [segments.filter((s) => !s.startsWith(':') && s !== '*').length, segments.length, -segments.filter((s) => s === '*').length] as const,
      };
    })
    .sort((a, b) => b.rank[0] - a.rank[0] || b.rank[1] - a.rank[1] || b.rank[2] - a.rank[2]);
  const match = (pathname: string) => compiled.find((c) => c.re.test(pathname || '/'))?.template ?? 'unmatched';
  return (pathname) => {
    // Single-fetch data requests: `/boards/<id>.data`, and `/_root.data` for the index page.
    if (pathname === '/_root.data') return '/_root.data';
    if (pathname.endsWith('.data')) {
      const page = match(pathname.slice(0, -'.data'.length));
      return page === 'unmatched' ? page : `${page === '/' ? '' : page}.data`;
    }
    return match(pathname);
  };
}
