/**
 * "5 minutes ago". Read against the clock, so the server's render and the browser's hydration may
 * say different things (a minute boundary passed in between, or the clocks differ): where it is
 * server-rendered, its element carries `suppressHydrationWarning`, and React takes the browser's
 * text instead of throwing the page's server HTML away and rendering it all again (React errors
 * 418/425, which cost the studio a whole second render; ADR 0030).
 */
export function timeAgo(date: Date | string, now = Date.now()): string {
  const d = typeof date === 'string' ? new Date(date) : date;
  const s = Math.round((d.getTime() - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return 'just now';
  if (abs < 3600) return relative(Math.round(s / 60), 'minute');
  if (abs < 86400) return relative(Math.round(s / 3600), 'hour');
  const days = Math.round(s / 86400);
  if (days === -1) return 'yesterday';
  if (days === 1) return 'tomorrow';
  return relative(days, 'day');
}

/**
 * What `Intl.RelativeTimeFormat('en', { numeric: 'auto' })` says for a whole, non-zero amount, written
 * out: making that formatter loads the browser's locale data, a long task while the page starts (ADR 0030).
 */
function relative(n: number, unit: 'minute' | 'hour' | 'day'): string {
  const abs = Math.abs(n);
  const words = `${String(abs).replace(/\B(?=(\d{3})+$)/g, ',')} ${unit}${abs === 1 ? '' : 's'}`;
  return n < 0 ? `${words} ago` : `in ${words}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
