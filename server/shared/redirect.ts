/**
 * The one rule for every post-action destination (after sign-in, sign-up, two-factor, an outside
 * provider, a workspace switch): only a path on our own origin, never another site.
 *
 * The candidate is parsed the way a browser resolves a Location header (WHATWG URL: tabs and
 * newlines are dropped, `\` counts as `/`), relative to a stand-in origin; anything that resolves
 * elsewhere (`//evil`, `/\evil`, `/\t/evil`, `javascript:`…) falls back. The answer is rebuilt from
 * the parsed path, query and fragment (control characters are then percent-encoded), and a path
 * that would itself read as protocol-relative (`//…`, reachable through `/.//evil`) is refused too.
 * Importable by the browser: it needs no configuration.
 */
const ORIGIN = 'https://destination.invalid';

export function safeDestination(to: unknown, fallback: string): string {
  if (typeof to !== 'string' || to.length === 0 || to.length > 2048) return fallback;
  // Only paths: an absolute URL, even to ourselves, is not a destination we hand out.
  if (!to.startsWith('/')) return fallback;
  let url: URL;
  try {
    url = new URL(to, ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== ORIGIN) return fallback;
  const path = url.pathname + url.search + url.hash;
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return fallback;
  return path;
}
