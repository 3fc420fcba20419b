import { describe, expect, it } from 'vitest';
import { safeDestination } from './redirect.js';

const FALLBACK = '/studio';

/** Where a browser would go when sent `Location: <to>` from https://flux.example/sign-in. */
const browserTarget = (to: string) => new URL(to, 'https://flux.example/sign-in');

describe('safeDestination', () => {
  it.each([
    ['tab between slashes', '/\t/evil.example'],
    ['newline between slashes', '/\n/evil.example'],
    ['carriage return between slashes', '/\r/evil.example'],
    ['slash backslash', '/\\evil.example'],
    ['double slash', '//evil.example'],
    ['backslash slash pairs', '\\/\\/evil.example'],
    ['backslashes only', '\\\\evil.example'],
    ['double slash with path', '//evil.example/studio'],
    ['dot segment to double slash', '/.//evil.example'],
    ['dot-dot segment to double slash', '/a/..//evil.example'],
    ['tab before double slash', '\t//evil.example'],
    ['leading space', ' //evil.example'],
    ['absolute http URL', 'https://evil.example/'],
    ['scheme-relative with userinfo', '//flux.example@evil.example'],
    ['javascript: URL', 'javascript:alert(1)'],
    ['data: URL', 'data:text/html,<script>alert(1)</script>'],
    ['encoded slashes without a leading slash', '%2F%2Fevil.example'],
    ['encoded backslash without a leading slash', '%5C%5Cevil.example'],
    ['relative path', 'evil.example'],
    ['empty', ''],
  ])('refuses %s', (_name, to) => {
    expect(safeDestination(to, FALLBACK)).toBe(FALLBACK);
  });

  it.each([
    ['/studio', '/studio'],
    ['/boards/123?tab=1#top', '/boards/123?tab=1#top'],
    ['/invitations/abc', '/invitations/abc'],
    ['/library?q=%2F%2Fevil.example', '/library?q=%2F%2Fevil.example'],
    // Encoded slashes stay encoded: the browser requests that path on our origin.
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['/%09/evil.example', '/%09/evil.example'],
    // A tab inside is dropped as a browser would: what remains is a path here, not a script URL.
    ['/\tjavascript:alert(1)', '/javascript:alert(1)'],
  ])('keeps the same-origin path %s', (to, expected) => {
    expect(safeDestination(to, FALLBACK)).toBe(expected);
  });

  it('never answers anything a browser would take to another origin', () => {
    const tricks = ['/\t/evil.example', '/\\evil.example', '//evil.example', '\\/\\/evil.example', '/.//evil.example', '/%2F%2Fevil.example', '/\u0000//evil.example', 'javascript:alert(1)'];
    for (const to of tricks) expect(browserTarget(safeDestination(to, FALLBACK)).origin).toBe('https://flux.example');
  });

  it('refuses non-strings', () => {
    expect(safeDestination(null, FALLBACK)).toBe(FALLBACK);
    expect(safeDestination(undefined, FALLBACK)).toBe(FALLBACK);
    expect(safeDestination(['/studio'], FALLBACK)).toBe(FALLBACK);
  });
});

