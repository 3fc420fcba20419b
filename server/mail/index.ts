import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

/** One outgoing message: plain text and accessible HTML, both always present. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface OutboxEntry extends MailMessage {
  id: string;
  from: string;
  sentAt: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Development outbox only: the newest messages first (empty when sending through SMTP). */
  outbox(limit?: number): Promise<OutboxEntry[]>;
}

/** A host name that names this machine: localhost (and *.localhost), 127.0.0.0/8, ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddress(h);
}

/** A socket's remote address on this machine: 127.0.0.0/8 or ::1 (also as IPv4-mapped IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

function loopbackBaseUrl(baseUrl: string | undefined): boolean {
  if (!baseUrl) return false;
  try {
    return isLoopbackHost(new URL(baseUrl).hostname);
  } catch {
    return false;
  }
}

/**
 * Who may read the outbox (the /dev/outbox page and `dev.outbox`):
 * - `none` when mail really goes out (SMTP_URL), or in production at a public address;
 * - `anyone` in development;
 * - `loopback` in production (`npm start`) at a localhost BASE_URL with no SMTP: the person
 *   trying the product on their own machine can follow their confirmation and reset links, and
 *   only requests from this machine see them.
 */
export type OutboxAccess = 'none' | 'anyone' | 'loopback';
export function outboxAccess(config: Pick<Config, 'env' | 'smtpUrl' | 'baseUrl'>): OutboxAccess {
  if (config.smtpUrl) return 'none';
  if (config.env !== 'production') return 'anyone';
  return loopbackBaseUrl(config.baseUrl) ? 'loopback' : 'none';
}

/**
 * Whether one request may read the outbox. `remoteAddress` is the TCP peer's (req.socket), never a
 * header: X-Forwarded-For is whatever the client wrote. A request that came through a proxy (it
 * carries a forwarding header) is refused too, since to us the proxy is the one on this machine.
 */
export function mayReadOutbox(access: OutboxAccess, request: { remoteAddress?: string; headers: Headers }): boolean {
  if (access === 'anyone') return true;
  if (access === 'none') return false;
  if (request.headers.has('x-forwarded-for') || request.headers.has('forwarded')) return false;
  return isLoopbackAddress(request.remoteAddress);
}

const LINK = /https?:\/\/[^\s<>"']+/g;

/**
 * Mail goes through nodemailer to SMTP_URL; with no SMTP_URL it lands in a development outbox:
 * one JSON file per message under DATA_DIR/outbox (shown at /dev/outbox: see `outboxAccess`). At a
 * localhost BASE_URL each message's subject, recipient and links are also written to the log.
 */
export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'dataDir'> & Partial<Pick<Config, 'baseUrl'>>, log: Logger): Mailer {
  const outboxDir = path.join(config.dataDir, 'outbox');
  const logLinks = loopbackBaseUrl(config.baseUrl);
  if (config.smtpUrl) {
    const transport = nodemailer.createTransport(config.smtpUrl);
    return {
      async send(m) {
        await transport.sendMail({ from: config.mailFrom, to: m.to, subject: m.subject, text: m.text, html: m.html });
        log.info('mail sent', { subject: m.subject });
      },
      outbox: async () => [],
    };
  }
  return {
    async send(m) {
      await fs.mkdir(outboxDir, { recursive: true });
      const entry: OutboxEntry = { ...m, id: randomUUID(), from: config.mailFrom, sentAt: new Date().toISOString() };
      // Written under a temporary name and renamed: whoever lists the outbox never sees half a message.
      const file = path.join(outboxDir, `${Date.now()}-${entry.id}.json`);
      await fs.writeFile(`${file}.tmp`, JSON.stringify(entry, null, 2), { mode: 0o600 });
      await fs.rename(`${file}.tmp`, file);
      if (logLinks) {
        // The one deliberate exception to redacting tokens in the log: with no SMTP server and a
        // localhost BASE_URL, the log is how the person running the product on their own machine
        // gets their confirmation, reset and invitation links (`npm start` has no public outbox).
        // The links only work on this machine; with SMTP_URL or a public BASE_URL this never runs.
        log.unredacted('info', 'mail written to the local outbox', { subject: m.subject, to: m.to, links: [...new Set(m.text.match(LINK) ?? [])], dir: outboxDir });
      } else {
        log.info('mail written to the development outbox', { subject: m.subject, dir: outboxDir });
      }
    },
    async outbox(limit = 50) {
      const files = await fs.readdir(outboxDir).catch(() => [] as string[]);
      const newest = files.filter((f) => f.endsWith('.json')).sort().reverse().slice(0, limit);
      return Promise.all(newest.map(async (f) => JSON.parse(await fs.readFile(path.join(outboxDir, f), 'utf8')) as OutboxEntry));
    },
  };
}

/**
 * A name someone chose (a workspace, a person) as it may appear in a message: control and
 * formatting characters (newlines, bidi overrides) removed, spaces collapsed, at most `max`
 * characters, in quotes, so it cannot read as another sentence; a zero-width space after each
 * dot, @ and colon stops mail clients from turning a name like evil.example into a link.
 */
export function mailName(name: string, max = 60): string {
  const clean = name.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, ' ').replace(/\s+/g, ' ').trim();
  const cut = [...clean].length > max ? `${[...clean].slice(0, max - 1).join('').trimEnd()}…` : clean;
  return `“${cut.replace(/[.@:]/g, (c) => `${c}\u200b`)}”`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * A plain, accessible message: a heading, paragraphs, an optional button link, and a footer saying
 * why the person got it. Returns both the text and the HTML body.
 */
export function composeMail(opts: { to: string; subject: string; heading: string; paragraphs: string[]; action?: { label: string; url: string }; reason: string }): MailMessage {
  const text = [
    opts.heading,
    '',
    ...opts.paragraphs.flatMap((p) => [p, '']),
    ...(opts.action ? [`${opts.action.label}: ${opts.action.url}`, ''] : []),
    '—',
    `Flux Klein. ${opts.reason}`,
  ].join('\n');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(opts.subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif;color:#111;line-height:1.5;max-width:560px;margin:0 auto;padding:24px">
<h1 style="font-size:20px">${escapeHtml(opts.heading)}</h1>
${opts.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${opts.action ? `<p><a href="${escapeHtml(opts.action.url)}" style="display:inline-block;background:#6d28d9;color:#fff;padding:10px 18px;border-radius:8px;text-decoration:none;font-weight:600">${escapeHtml(opts.action.label)}</a></p><p style="font-size:13px;color:#555">Or open this link: ${escapeHtml(opts.action.url)}</p>` : ''}
<hr style="border:none;border-top:1px solid #ddd;margin:24px 0">
<p style="font-size:13px;color:#555">Flux Klein. ${escapeHtml(opts.reason)}</p>
</body></html>`;
  return { to: opts.to, subject: opts.subject, text, html };
}
