import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSocket, eventually, signUp, startTestServer, trpcClient, waitForEvent } from '../testing/harness.js';
import { startFakeModeration } from '../services/moderation/testing/fake-moderation.js';

/** A span as OTLP/JSON carries it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number };
  attributes?: { key: string; value: Record<string, unknown> }[];
}

/**
 * A local OpenTelemetry collector, as small as it gets: accepts OTLP/HTTP `POST /v1/traces` in
 * JSON (what @opentelemetry/exporter-trace-otlp-http sends) and keeps the spans and the headers.
 */
async function startReceiver() {
  const spans: OtlpSpan[] = [];
  const requests: { contentType: string | undefined; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      requests.push({ contentType: req.headers['content-type'], headers: req.headers });
      const parsed = JSON.parse(body) as { resourceSpans?: { resource?: unknown; scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
      for (const rs of parsed.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes?.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
};

describe('OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver?.close());

  it('sends one linked trace from the HTTP request through tRPC, the service and the job to the provider call', async () => {
    const server = await startTestServer(inject('pgAdminUrl'), { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=abc123', OTEL_SERVICE_NAME: 'flux-klein-test' } });
    let requestId: string;
    try {
      const user = await signUp(server);
      const socket = await connectSocket(server, user);
      const res = await fetch(`${server.url}/trpc/generation.create`, {
        method: 'POST',
        headers: { cookie: user.cookie, origin: server.config.baseUrl, 'content-type': 'application/json' },
        body: JSON.stringify({ json: { prompt: 'followed across processes' } }),
      });
      expect(res.status).toBe(200);
      requestId = res.headers.get('x-request-id')!;
      const gen = ((await res.json()) as { result: { data: { json: { id: string } } } }).result.data.json;
      await waitForEvent(socket, 'generation:update', (e) => e.id === gen.id && e.status === 'succeeded', 20_000);
      socket.close();
      // Let the job's span end (it ends after the handler returns), then stop: shutdown sends what is buffered.
      await eventually(async () => (await server.boss.findJobs('generation', { data: { generationId: gen.id } } as never))[0]?.state === 'completed');
    } finally {
      await server.stop();
    }

    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests[0]!.contentType).toMatch(/application\/json/);
    expect(receiver.requests[0]!.headers['x-collector-key']).toBe('abc123');

    const httpSpan = receiver.spans.find((s) => s.name === 'POST /trpc/:procedure' && attr(s, 'flux.request_id') === requestId);
    expect(httpSpan, 'the HTTP server span').toBeDefined();
    const inTrace = receiver.spans.filter((s) => s.traceId === httpSpan!.traceId);
    const byName = (name: string) => {
      const found = inTrace.find((s) => s.name === name);
      expect(found, `span "${name}" in the request's trace; have: ${inTrace.map((s) => s.name).join(', ')}`).toBeDefined();
      return found!;
    };
    const trpcSpan = byName('trpc generation.create');
    const serviceSpan = byName('service generations.create');
    const sendSpan = byName('send generation');
    const jobSpan = byName('job generation');
    const providerSpan = byName('provider local generate');

    // One trace, each span the child of the one before: HTTP → tRPC → service → send → job → provider.
    expect(httpSpan!.parentSpanId ?? '').toBe('');
    expect(trpcSpan.parentSpanId).toBe(httpSpan!.spanId);
    expect(serviceSpan.parentSpanId).toBe(trpcSpan.spanId);
    expect(sendSpan.parentSpanId).toBe(serviceSpan.spanId);
    expect(jobSpan.traceId).toBe(httpSpan!.traceId);
    expect(jobSpan.parentSpanId).toBe(sendSpan.spanId);
    expect(providerSpan.parentSpanId).toBe(jobSpan.spanId);
    expect(attr(jobSpan, 'messaging.destination.name')).toBe('generation');
    expect(attr(providerSpan, 'flux.provider')).toBe('local');
    // Kinds: server, internal, internal, producer, consumer, client.
    expect([httpSpan!.kind, sendSpan.kind, jobSpan.kind, providerSpan.kind]).toEqual([2, 4, 5, 3]);
  });

  it('records database queries and outgoing HTTP calls as client spans inside the request’s trace, without values', async () => {
    const moderation = await startFakeModeration();
    const server = await startTestServer(inject('pgAdminUrl'), {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'flux-klein-db-spans', MODERATION_API_URL: moderation.url, MODERATION_API_KEY: moderation.key },
    });
    const prompt = 'a lighthouse described only here';
    let requestId: string;
    try {
      const user = await signUp(server);
      const res = await fetch(`${server.url}/trpc/generation.create`, {
        method: 'POST',
        headers: { cookie: user.cookie, origin: server.config.baseUrl, 'content-type': 'application/json' },
        body: JSON.stringify({ json: { prompt } }),
      });
      expect(res.status).toBe(200);
      requestId = res.headers.get('x-request-id')!;
    } finally {
      await server.stop();
      await moderation.close();
    }
    const httpSpan = receiver.spans.find((s) => s.name === 'POST /trpc/:procedure' && attr(s, 'flux.request_id') === requestId);
    expect(httpSpan, 'the HTTP server span').toBeDefined();
    const inTrace = receiver.spans.filter((s) => s.traceId === httpSpan!.traceId);
    const ids = new Set(inTrace.map((s) => s.spanId));
    const serviceSpan = inTrace.find((s) => s.name === 'service generations.create')!;
    expect(serviceSpan).toBeDefined();

    // The generation row is written inside the service span: a client span (kind 3) that is its child.
    const insert = inTrace.find((s) => s.name === 'db INSERT' && /insert into "generation"/.test(String(attr(s, 'db.query.text'))));
    expect(insert, `an INSERT span in the request's trace; have: ${inTrace.map((s) => s.name).join(', ')}`).toBeDefined();
    expect(insert!.parentSpanId).toBe(serviceSpan.spanId);
    expect(insert!.kind).toBe(3);
    expect(attr(insert!, 'db.system.name')).toBe('postgresql');
    // The session lookup happens before tRPC's span: a DB span whose parent is the request span itself.
    expect(inTrace.some((s) => s.name.startsWith('db ') && s.parentSpanId === httpSpan!.spanId)).toBe(true);
    // Every DB span of the trace hangs from a span of the same trace.
    for (const s of inTrace.filter((x) => x.name.startsWith('db '))) expect(ids.has(s.parentSpanId!)).toBe(true);

    // The hosted moderation check is an outgoing fetch: a client span under the service span, with the status.
    const call = inTrace.find((s) => s.name === 'HTTP POST' && attr(s, 'url.full') === `${new URL(moderation.url).origin}/v1/moderations`);
    expect(call, `the moderation call's span; have: ${inTrace.map((s) => s.name).join(', ')}`).toBeDefined();
    expect(call!.parentSpanId).toBe(serviceSpan.spanId);
    expect(attr(call!, 'http.response.status_code')).toBe(200);

    // No span carries the prompt (SQL has placeholders; bodies are never recorded), and the collector's own requests have no spans.
    expect(JSON.stringify(receiver.spans)).not.toContain(prompt);
    expect(receiver.spans.some((s) => String(attr(s, 'url.full') ?? '').startsWith(receiver.url))).toBe(false);
  });

  it('sends nothing when no endpoint is configured', async () => {
    const before = receiver.requests.length;
    const server = await startTestServer(inject('pgAdminUrl'));
    try {
      const user = await signUp(server);
      await trpcClient(server, user).me.get.query();
    } finally {
      await server.stop();
    }
    expect(receiver.requests.length).toBe(before);
  });
});
