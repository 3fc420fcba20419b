import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBytes, timeAgo } from './format.js';

describe('timeAgo', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');
  const at = (seconds: number) => new Date(now + seconds * 1000);

  it('says what Intl.RelativeTimeFormat (en, numeric: auto) says, without making one', () => {
    const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
    const intl = (s: number) => {
      const abs = Math.abs(s);
      if (abs < 45) return 'just now';
      if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
      if (abs < 86400) return rtf.format(Math.round(s / 3600), 'hour');
      return rtf.format(Math.round(s / 86400), 'day');
    };
    fc.assert(
      fc.property(fc.integer({ min: -10_000 * 86400, max: 10_000 * 86400 }), (s) => {
        expect(timeAgo(at(s), now)).toBe(intl(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('reads past and future, singular and plural, and the days next to today', () => {
    expect(timeAgo(at(-10), now)).toBe('just now');
    expect(timeAgo(at(-60), now)).toBe('1 minute ago');
    expect(timeAgo(at(-5 * 60), now)).toBe('5 minutes ago');
    expect(timeAgo(at(3 * 3600), now)).toBe('in 3 hours');
    expect(timeAgo(at(-86400), now)).toBe('yesterday');
    expect(timeAgo(at(86400), now)).toBe('tomorrow');
    expect(timeAgo(at(-1234 * 86400), now)).toBe('1,234 days ago');
    expect(timeAgo(new Date(now - 3600_000).toISOString(), now)).toBe('1 hour ago');
  });
});

describe('formatBytes', () => {
  it('picks the unit', () => {
    expect([formatBytes(512), formatBytes(2048), formatBytes(5 * 1024 * 1024)]).toEqual(['512 B', '2 KB', '5.0 MB']);
  });
});
