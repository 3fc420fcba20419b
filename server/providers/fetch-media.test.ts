import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchMedia, isBlockedAddress } from './fetch-media.js';
import { ProviderError } from './types.js';

let server: http.Server;
let base: string;
let hostPort: string;
let hits = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/ok') return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(100, 7));
    if (url.pathname === '/big') return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(10_000) }).end(Buffer.alloc(10_000));
    if (url.pathname === '/chunked-big') {
      res.writeHead(200, { 'content-type': 'image/png' });
      for (let i = 0; i < 20; i++) res.write(Buffer.alloc(1000));
      return void res.end();
    }
    if (url.pathname === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (url.pathname === '/to-mapped-loopback') return void res.writeHead(302, { location: `http://[::ffff:127.0.0.1]:${url.searchParams.get('port')}/ok` }).end();
    if (url.pathname === '/to-mapped-metadata') return void res.writeHead(302, { location: 'http://[::ffff:a9fe:a9fe]/latest/meta-data/' }).end();
    if (url.pathname === '/to-private-name') return void res.writeHead(302, { location: `http://internal.example:${url.searchParams.get('port')}/ok` }).end();
    if (url.pathname === '/to-ok') return void res.writeHead(301, { location: '/ok' }).end();
    if (url.pathname === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    if (url.pathname === '/slow') return void setTimeout(() => res.writeHead(200).end('late'), 2000);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  hostPort = `127.0.0.1:${port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const refusedWith = async (p: Promise<unknown>, re: RegExp) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  expect((err as Error).message).toMatch(re);
};

/** A DNS lookup that answers from a table, counting its calls (each answer may differ: rebinding). */
const fakeDns = (answers: Record<string, string[]>) => {
  const calls: string[] = [];
  const lookup = async (host: string) => {
    calls.push(host);
    const list = answers[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const address = list[Math.min(calls.filter((h) => h === host).length, list.length) - 1]!;
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
  return { lookup, calls };
};

describe('fetching result media (SSRF guard)', () => {
  it('classifies addresses: only globally routable unicast passes', () => {
    const blocked = [
      '127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
      '192.0.2.1', '198.18.0.1', '203.0.113.9', '240.0.0.1',
      '::1', '0:0:0:0:0:0:0:1', '::', 'fd00::1', 'fc00::1', 'fe80::1', 'fec0::1', 'ff02::1', '2001:db8::1',
      // IPv4-mapped, in both spellings (the URL parser writes the hex one), and other IPv4 embeddings
      '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '::7f00:1', '::102:304', '64:ff9b::7f00:1',
      '2002::1', '2002:7f00:1::1', '2001::1',
      'not-an-ip', '',
    ];
    for (const ip of blocked) expect(isBlockedAddress(ip), ip).toBe(true);
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700::1111', '2606:4700:4700::1111', '2a00:1450:4001::200e']) expect(isBlockedAddress(ip), ip).toBe(false);
  });

  it('refuses IPv6 spellings of loopback and metadata in URLs, without connecting', async () => {
    const port = hostPort.split(':')[1];
    const before = hits;
    for (const host of ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:0:0:1]', '[::7f00:1]', '[::ffff:a9fe:a9fe]', '[fec0::1]', '[2002:7f00:1::1]', '[64:ff9b::7f00:1]']) {
      await refusedWith(fetchMedia(`http://${host}:${port}/ok`), /not a public address/);
    }
    expect(hits).toBe(before);
  });

  it('refuses a name that resolves to a private address, in any spelling', async () => {
    const port = hostPort.split(':')[1];
    const dns = fakeDns({ 'v4.example': ['127.0.0.1'], 'mapped.example': ['::ffff:7f00:1'], 'meta.example': ['169.254.169.254'], 'compat.example': ['::7f00:1'] });
    const before = hits;
    for (const name of ['v4.example', 'mapped.example', 'meta.example', 'compat.example']) {
      await refusedWith(fetchMedia(`http://${name}:${port}/ok`, { lookup: dns.lookup }), /non-public address/);
    }
    expect(dns.calls).toEqual(['v4.example', 'mapped.example', 'meta.example', 'compat.example']);
    expect(hits).toBe(before);
  });

  it('refuses a public host that redirects to a private one (literal, hex-mapped or by name)', async () => {
    const port = hostPort.split(':')[1];
    const dns = fakeDns({ 'internal.example': ['10.0.0.7'] });
    const before = hits;
    await refusedWith(fetchMedia(`${base}/to-mapped-loopback?port=${port}`, { allowHosts: [hostPort] }), /not a public address/);
    await refusedWith(fetchMedia(`${base}/to-mapped-metadata`, { allowHosts: [hostPort] }), /not a public address/);
    await refusedWith(fetchMedia(`${base}/to-private-name?port=${port}`, { allowHosts: [hostPort], lookup: dns.lookup }), /non-public address/);
    // the allowed host answered three redirects; nothing reached /ok behind them
    expect(hits - before).toBe(3);
  });

  it('connects to the address it checked: a name that resolves public, then private, never reaches the private one', async () => {
    const port = hostPort.split(':')[1];
    // The first answer is public (and checked); a second lookup would say loopback, where this test's server listens.
    const dns = fakeDns({ 'rebind.example': ['8.8.8.8', '127.0.0.1'] });
    const before = hits;
    const outcome = await fetchMedia(`http://rebind.example:${port}/ok`, { lookup: dns.lookup, timeoutMs: 1500 }).then(
      (r) => r,
      (e: unknown) => e,
    );
    // Whatever the public address answered (or not: there is no network here), the local server saw nothing.
    expect(hits).toBe(before);
    expect(dns.calls).toEqual(['rebind.example']);
    if (outcome instanceof Error) expect(outcome).toBeInstanceOf(ProviderError);
  });

  it('refuses loopback, private, metadata and non-http URLs before connecting', async () => {
    const before = hits;
    await refusedWith(fetchMedia(`${base}/ok`), /not a public address/);
    await refusedWith(fetchMedia('http://10.0.0.5/x.png'), /not a public address/);
    await refusedWith(fetchMedia('http://169.254.169.254/latest/meta-data/'), /not a public address/);
    await refusedWith(fetchMedia('http://[::1]:8080/x'), /not a public address/);
    await refusedWith(fetchMedia('http://localhost:9/x'), /non-public address/);
    await refusedWith(fetchMedia('file:///etc/passwd'), /file: is not allowed/);
    await refusedWith(fetchMedia('http://user:pw@example.com/x'), /credentials/);
    expect(hits).toBe(before);
  });

  it('fetches from an allowed host, and re-checks every redirect', async () => {
    const ok = await fetchMedia(`${base}/to-ok`, { allowHosts: [hostPort] });
    expect(ok.data).toHaveLength(100);
    expect(ok.contentType).toBe('image/png');
    await refusedWith(fetchMedia(`${base}/to-metadata`, { allowHosts: [hostPort] }), /not a public address/);
    await refusedWith(fetchMedia(`${base}/loop`, { allowHosts: [hostPort] }), /too many redirects/);
  });

  it('caps the size, whether declared or streamed, and times out', async () => {
    await refusedWith(fetchMedia(`${base}/big`, { allowHosts: [hostPort], maxBytes: 5000 }), /larger than 5000 bytes/);
    await refusedWith(fetchMedia(`${base}/chunked-big`, { allowHosts: [hostPort], maxBytes: 5000 }), /larger than 5000 bytes/);
    const err = await fetchMedia(`${base}/slow`, { allowHosts: [hostPort], timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });
});

describe('headers for a self-hosted server', () => {
  it('sends them to the first URL’s origin only, never to another origin a redirect leads to', async () => {
    const seen: { server: string; auth: string | undefined }[] = [];
    const other = http.createServer((req, res) => {
      seen.push({ server: 'other', auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(10, 1));
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherPort = (other.address() as AddressInfo).port;
    const first = http.createServer((req, res) => {
      seen.push({ server: 'first', auth: req.headers.authorization });
      if (req.url === '/same') return void res.writeHead(302, { location: '/final' }).end();
      if (req.url === '/final') return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(10, 2));
      res.writeHead(302, { location: `http://127.0.0.1:${otherPort}/x` }).end();
    });
    await new Promise<void>((r) => first.listen(0, '127.0.0.1', r));
    const firstPort = (first.address() as AddressInfo).port;
    try {
      const opts = { allowHosts: [`127.0.0.1:${firstPort}`, `127.0.0.1:${otherPort}`], headers: { authorization: 'Bearer gpu-token' } };
      await fetchMedia(`http://127.0.0.1:${firstPort}/same`, opts);
      await fetchMedia(`http://127.0.0.1:${firstPort}/elsewhere`, opts);
      expect(seen).toEqual([
        { server: 'first', auth: 'Bearer gpu-token' },
        { server: 'first', auth: 'Bearer gpu-token' },
        { server: 'first', auth: 'Bearer gpu-token' },
        { server: 'other', auth: undefined },
      ]);
    } finally {
      await new Promise<void>((r) => first.close(() => r()));
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});
