import dns from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import sharp from 'sharp';
import { canceled, ProviderError } from './types.js';

/**
 * Fetches a provider's result URL with an SSRF guard: only http(s); the host's addresses are
 * resolved and refused when any is not globally routable unicast (ipaddr.js ranges: loopback,
 * private, link-local cloud metadata, CGNAT, IPv4-mapped IPv6 judged by its IPv4 address, 6to4,
 * Teredo, multicast, reserved...); the connection goes to the address that was checked (no DNS
 * rebinding); every redirect hop is checked again; the body is capped and the whole fetch timed.
 * `allowHosts` ("host:port") lets configured local fakes through in tests.
 */
export interface FetchMediaOptions {
  maxBytes?: number;
  timeoutMs?: number;
  maxRedirects?: number;
  allowHosts?: string[];
  signal?: AbortSignal;
  /**
   * Headers for the first URL's origin only (a self-hosted server's token); never sent to another
   * origin a redirect leads to.
   */
  headers?: Record<string, string>;
  /** Resolves a host name to all its addresses (node's dns.lookup by default; tests answer what they like). */
  lookup?: LookupAll;
}

export type LookupAll = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: LookupAll = (host) => dns.lookup(host, { all: true, verbatim: true });

export interface FetchedMedia {
  data: Buffer;
  contentType: string;
}

/**
 * Ranges ipaddr.js files under 'unicast' that must not be fetched either: the deprecated
 * IPv4-compatible ::a.b.c.d (the rest of ::/8 is reserved too).
 */
const EXTRA_BLOCKED: [ipaddr.IPv6, number][] = [ipaddr.IPv6.parseCIDR('::/8')];

/**
 * True unless `ip` is a globally routable unicast address. IPv4-mapped IPv6 (`::ffff:7f00:1`,
 * however spelled) is judged as the IPv4 address it carries; every range ipaddr.js names
 * (loopback, private, linkLocal, carrierGradeNat, uniqueLocal, 6to4, teredo, rfc6052, reserved,
 * ...) is refused, as is anything that does not parse.
 */
export function isBlockedAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return true;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip);
  } catch {
    return true;
  }
  if (addr.range() !== 'unicast') return true;
  if (addr instanceof ipaddr.IPv6 && EXTRA_BLOCKED.some((r) => addr.match(r))) return true;
  return false;
}

const refused = (why: string, what = 'The result URL') => new ProviderError('BAD_RESPONSE', `${what} was refused: ${why}.`);

export interface PinnedAddress {
  address: string;
  family: number;
}

/**
 * The SSRF guard's address check, for every outgoing request to a URL someone else chose (result
 * downloads here, webhooks in server/services/webhooks.ts): the host's addresses are resolved and
 * refused (ProviderError 'BAD_RESPONSE', "<what> was refused: …") unless every one is public or
 * the host:port is allowed; answers the address to connect to (see `pinnedLookup`). A host that
 * does not resolve is a retryable 'PROVIDER_UNAVAILABLE'.
 */
export async function resolveChecked(u: URL, allow: Set<string>, lookup: LookupAll = systemLookup, what = 'The result URL'): Promise<PinnedAddress> {
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const allowed = allow.has(`${host}:${port}`);
  if (net.isIP(host)) {
    if (!allowed && isBlockedAddress(host)) throw refused(`${host} is not a public address`, what);
    return { address: host, family: net.isIPv6(host) ? 6 : 4 };
  }
  let addrs: { address: string; family: number }[];
  try {
    addrs = await lookup(host);
  } catch {
    throw new ProviderError('PROVIDER_UNAVAILABLE', `${what === 'The result URL' ? 'The result host' : what} ${host} could not be resolved.`, true);
  }
  if (addrs.length === 0) throw refused(`${host} has no address`, what);
  if (!allowed && addrs.some((a) => isBlockedAddress(a.address))) throw refused(`${host} resolves to a non-public address`, what);
  return addrs[0]!;
}

/** An http(s).request `lookup` that connects to the address that was checked, whatever DNS says now (no rebinding). */
export function pinnedLookup(pinned: PinnedAddress) {
  return ((_host: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) => (o?.all ? cb(null, [pinned]) : cb(null, pinned.address, pinned.family))) as never;
}

function getOnce(u: URL, pinned: { address: string; family: number }, opts: Required<Omit<FetchMediaOptions, 'allowHosts' | 'signal' | 'lookup' | 'headers'>>, signal: AbortSignal, headers: Record<string, string>) {
  return new Promise<{ status: number; location?: string; contentType: string; data?: Buffer }>((resolve, reject) => {
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      u,
      {
        method: 'GET',
        headers: { ...headers, accept: 'image/*,video/*' },
        // Connect to the address that was checked, whatever DNS says now.
        lookup: pinnedLookup(pinned),
        signal,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          res.resume();
          return resolve({ status, location: res.headers.location, contentType: '' });
        }
        if (status !== 200) {
          res.resume();
          return reject(status >= 500 ? new ProviderError('PROVIDER_UNAVAILABLE', `The result URL answered ${status}.`, true) : new ProviderError('BAD_RESPONSE', `The result URL answered ${status}.`));
        }
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > opts.maxBytes) {
          res.destroy();
          return reject(refused(`the file is larger than ${opts.maxBytes} bytes`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxBytes) {
            res.destroy();
            reject(refused(`the file is larger than ${opts.maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status, contentType: String(res.headers['content-type'] ?? ''), data: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(err instanceof ProviderError ? err : new ProviderError('PROVIDER_UNAVAILABLE', `The result could not be downloaded: ${err.message}`, true)));
    req.end();
  });
}

export async function fetchMedia(url: string, options: FetchMediaOptions = {}): Promise<FetchedMedia> {
  const opts = { maxBytes: options.maxBytes ?? 50 * 1024 * 1024, timeoutMs: options.timeoutMs ?? 60_000, maxRedirects: options.maxRedirects ?? 3 };
  const allow = new Set(options.allowHosts ?? []);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let current = url;
  const origin = (() => {
    try {
      return new URL(url).origin;
    } catch {
      return null;
    }
  })();
  try {
    for (let hop = 0; hop <= opts.maxRedirects; hop++) {
      let u: URL;
      try {
        u = new URL(current);
      } catch {
        throw refused('not a valid URL');
      }
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw refused(`${u.protocol} is not allowed`);
      if (u.username || u.password) throw refused('credentials in URLs are not allowed');
      const pinned = await resolveChecked(u, allow, options.lookup ?? systemLookup);
      const res = await getOnce(u, pinned, opts, signal, u.origin === origin ? (options.headers ?? {}) : {});
      if (res.location !== undefined) {
        current = new URL(res.location, u).toString();
        continue;
      }
      return { data: res.data!, contentType: res.contentType };
    }
    throw refused('too many redirects');
  } catch (err) {
    if (options.signal?.aborted) throw canceled();
    if (timeout.aborted) throw new ProviderError('TIMEOUT', 'Downloading the result took too long.', true);
    throw err;
  }
}

/** Checks downloaded bytes really are an image or a video we can store, and reads their size. */
export async function describeMedia(data: Buffer, contentType: string): Promise<{ mime: string; width: number; height: number }> {
  if (data.length >= 12 && data.toString('ascii', 4, 8) === 'ftyp') {
    return { mime: 'video/mp4', width: 0, height: 0 };
  }
  try {
    const meta = await sharp(data, { animated: true, limitInputPixels: 50_000_000 }).metadata();
    const mime = meta.format === 'png' ? 'image/png' : meta.format === 'jpeg' ? 'image/jpeg' : meta.format === 'webp' ? 'image/webp' : null;
    if (!mime || !meta.width) throw new Error(`unsupported ${meta.format} (${contentType})`);
    return { mime, width: meta.width, height: meta.pageHeight ?? meta.height ?? 0 };
  } catch {
    throw new ProviderError('BAD_RESPONSE', 'The model returned a file that is not an image or video we can use.');
  }
}
