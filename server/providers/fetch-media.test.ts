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

describe('fetching result media (SSRF guard)', () => {
  it('classifies addresses', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      expect(isBlockedAddress(ip), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111']) expect(isBlockedAddress(ip), ip).toBe(false);
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
