import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import express from 'express';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { thumbKeys } from '../services/thumbnails.js';
import { signUp, startTestServer, type TestServer, type TestUser } from '../testing/harness.js';
import { compressResponses, pickEncoding, precompressedStatic } from './compression.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(inject('pgAdminUrl'));
});
afterAll(async () => {
  await server?.stop();
});

/** A raw GET (node:http would not decode), so the test sees the bytes on the wire. */
async function rawGet(url: string, headers: Record<string, string>) {
  const http = await import('node:http');
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

async function uploadPng(user: TestUser) {
  const png = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).png().toBuffer();
  const res = await fetch(`${server.url}/uploads`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', origin: server.config.baseUrl, cookie: user.cookie }, body: new Uint8Array(png) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { asset: { id: string; sizeBytes: number } }).asset;
}

describe('HTTP compression', () => {
  it('sends JSON brotli-compressed to a browser that accepts it, gzip to one that only takes gzip, and plain otherwise', async () => {
    const user = await signUp(server);
    // A batch of three queries: a JSON answer of a few kB, as the pages fetch.
    const url = `${server.url}/trpc/generation.models,generation.models,generation.models?batch=1&input=${encodeURIComponent('{}')}`;
    const br = await rawGet(url, { cookie: user.cookie, 'accept-encoding': 'gzip, deflate, br' });
    const gz = await rawGet(url, { cookie: user.cookie, 'accept-encoding': 'gzip' });
    const plain = await rawGet(url, { cookie: user.cookie, 'accept-encoding': 'identity' });
    expect(plain.status).toBe(200);
    expect(plain.body.length).toBeGreaterThan(1024);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/Accept-Encoding/i);
    expect(br.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(br.body).toString()).toBe(plain.body.toString());
    expect(br.body.length).toBeLessThan(plain.body.length / 3);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body).toString()).toBe(plain.body.toString());
  });

  it('leaves small answers and media alone', async () => {
    const user = await signUp(server);
    const small = await rawGet(`${server.url}/healthz`, { 'accept-encoding': 'br' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString())).toEqual({ ok: true });
    const asset = await uploadPng(user);
    const image = await rawGet(`${server.url}/files/${asset.id}`, { cookie: user.cookie, 'accept-encoding': 'br, gzip' });
    expect(image.headers['content-encoding']).toBeUndefined();
    expect(image.body.length).toBe(asset.sizeBytes);
  });

  it('reads Accept-Encoding with its weights', () => {
    expect(pickEncoding('gzip, br')).toBe('br');
    expect(pickEncoding('br;q=0, gzip')).toBe('gzip');
    expect(pickEncoding('identity')).toBeNull();
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding(undefined)).toBeNull();
  });

  it('compresses a large file streamed from disk to the end (a build file served before the boot-time compression is done)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fk-static-'));
    // ~600 kB that compresses only partly, read from disk in several chunks: more than the compressor buffers.
    let seed = 1;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const js = `export const words = ${JSON.stringify(Array.from({ length: 60_000 }, () => `w${rand().toString(36)}`))};\n`;
    fs.writeFileSync(path.join(dir, 'big.js'), js);
    const app = express();
    app.use(compressResponses());
    app.use('/build', express.static(dir));
    const srv = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => srv.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/build/big.js`;
      const br = await rawGet(url, { 'accept-encoding': 'br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(zlib.brotliDecompressSync(br.body).toString()).toBe(js);
      const gz = await rawGet(url, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(zlib.gunzipSync(gz.body).toString()).toBe(js);
    } finally {
      srv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it('serves build files compressed once at the best ratio, with a year of immutable caching and a working ETag', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fk-static-'));
    const js = `export const words = ${JSON.stringify(Array.from({ length: 2000 }, (_, i) => `word${i % 50}`))};\n`;
    fs.mkdirSync(path.join(dir, '_shared'));
    fs.writeFileSync(path.join(dir, '_shared', 'chunk-ABC123.js'), js);
    const app = express();
    const pre = precompressedStatic(dir);
    app.use('/build', pre);
    const srv = app.listen(0, '127.0.0.1');
    try {
      await pre.ready;
      const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/build/_shared/chunk-ABC123.js`;
      const res = await rawGet(base, { 'accept-encoding': 'br' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe('br');
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['content-type']).toMatch(/javascript/);
      expect(zlib.brotliDecompressSync(res.body).toString()).toBe(js);
      const again = await rawGet(base, { 'accept-encoding': 'br', 'if-none-match': String(res.headers.etag) });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
    } finally {
      srv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('image delivery', () => {
  it('makes the thumbnails when an image is stored and serves them small, with an ETag and a year of caching; a repeat is a 304', async () => {
    const user = await signUp(server);
    const asset = await uploadPng(user);
    const keys = thumbKeys(asset.id);
    // Made at store time, before anyone asked for them.
    expect(await server.deps.storage.stat(keys.w256)).not.toBeNull();
    expect(await server.deps.storage.stat(keys.w512)).not.toBeNull();
    const res = await fetch(`${server.url}/files/${asset.id}?thumb=256`, { headers: { cookie: user.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{64}-w256-/);
    const body = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(body).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(256);
    expect(body.length).toBeLessThan(asset.sizeBytes / 10);
    const again = await fetch(`${server.url}/files/${asset.id}?thumb=256`, { headers: { cookie: user.cookie, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    // The original has its own validator; another size has another.
    const original = await fetch(`${server.url}/files/${asset.id}`, { headers: { cookie: user.cookie } });
    expect(original.headers.get('etag')).not.toBe(etag);
  });

  it('a thumbnail lost from storage is made again on request; a stranger gets neither it nor a 304', async () => {
    const user = await signUp(server);
    const stranger = await signUp(server);
    const asset = await uploadPng(user);
    await server.deps.storage.delete(thumbKeys(asset.id).w512);
    const res = await fetch(`${server.url}/files/${asset.id}?thumb=512`, { headers: { cookie: user.cookie } });
    expect(res.status).toBe(200);
    expect(Math.max(...Object.values((({ width, height }) => ({ width, height }))(await sharp(Buffer.from(await res.arrayBuffer())).metadata())).map(Number))).toBe(512);
    expect(await server.deps.storage.stat(thumbKeys(asset.id).w512)).not.toBeNull();
    const theirs = await fetch(`${server.url}/files/${asset.id}?thumb=512`, { headers: { cookie: stranger.cookie, 'if-none-match': res.headers.get('etag')! } });
    expect(theirs.status).toBe(404);
  });
});
