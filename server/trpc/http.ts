/**
 * The tRPC HTTP endpoint (`/trpc`): tRPC's own Express adapter, with a direct path for the calls
 * the app makes — JSON queries over GET and mutations over POST, single or batched
 * (`httpBatchLink`: `GET /trpc/a,b?batch=1&input=…`, `POST /trpc/a,b?batch=1`).
 *
 * Why (ADR 0026): tRPC's adapter turns every Node request into a Fetch `Request` (a second copy
 * of the headers, a `URL`, abort signals), runs `resolveResponse`, and pipes the answer back out
 * of a Fetch `Response` through a web `WritableStream`. For a procedure that runs one query that
 * machinery cost about as much CPU as the rest of the request together (the profile is in the
 * ADR). The direct path calls the procedures the same way `resolveResponse` does — the same
 * procedure call (context, middlewares, input parser, error formatter), the same lazily parsed,
 * superjson-deserialized input, the same error shapes, HTTP status, `responseMeta` headers,
 * `onError` reports and superjson envelope — and writes the JSON with one `res.end`.
 * `server/trpc/http.test.ts` runs both paths side by side and compares the answers byte for byte.
 *
 * Everything else goes to tRPC's adapter unchanged: HEAD, other content types, streaming
 * (`trpc-accept`/`application/jsonl`), subscriptions, `connectionParams`, an unknown procedure or
 * one called with the wrong method, a POST body of unknown length or over `maxBodySize`, and URLs
 * or hosts the standard adapter would parse differently from this one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type express from 'express';
import { getErrorShape, getTRPCErrorFromUnknown, transformTRPCResponse, TRPCError, type AnyTRPCProcedure, type AnyTRPCRouter } from '@trpc/server';
import { getHTTPStatusCode, type TRPCRequestInfo } from '@trpc/server/http';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import type { NodeHTTPHandlerOptions } from '@trpc/server/adapters/node-http';
import type { Auth } from '../auth/index.js';
import type { Logger } from '../log.js';
import type { Deps } from '../services/deps.js';
import { toHeaders } from '../http/headers.js';
import { createContext, retryAfterMeta } from './init.js';

type Options<TRouter extends AnyTRPCRouter> = NodeHTTPHandlerOptions<TRouter, express.Request, express.Response>;
type Call = TRPCRequestInfo['calls'][number] & { procedure: AnyTRPCProcedure };
type Outcome = [TRPCError, undefined] | [undefined, { data: unknown }];

/** A host the WHATWG URL parser takes as it is (tRPC's adapter builds a URL from it and answers 400 when that fails). */
const PLAIN_HOST = /^[A-Za-z0-9.-]*(:[0-9]*)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]*)?$/;
/** Characters the URL parser strips or treats specially (`#` starts a fragment): such requests take tRPC's adapter. */
const URL_SPECIAL = /[\x00-\x20#\x7f]/;

/** Media types are compared as tRPC does (`hasContentType`): case-insensitive, before any `;`. */
function contentTypeIs(req: IncomingMessage, type: string): boolean {
  return req.headers['content-type']?.toLowerCase().split(';', 1)[0]?.trim() === type;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && !Array.isArray(v) && typeof v === 'object';
const isPromiseLike = (v: unknown) => isObject(v) && typeof (v as { then?: unknown }).then === 'function';
const isAsyncIterable = (v: unknown) => isObject(v) && Symbol.asyncIterator in v;
/** tRPC's `isDataStream`: a result holding promises or async iterables cannot go out as plain JSON. */
const isDataStream = (v: unknown) => isObject(v) && (isAsyncIterable(v) || Object.values(v).some(isPromiseLike) || Object.values(v).some(isAsyncIterable));

/** Reads a body whose length the request declared (the caller checked it against maxBodySize); null when the client went away first. */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', () => resolve(null));
    req.once('close', () => resolve(null)); // after 'end' this changes nothing
  });
}

const utf8 = new TextDecoder(); // strips a leading BOM, as the Fetch Body's json() does

export function createTrpcMiddleware<TRouter extends AnyTRPCRouter>(opts: Options<TRouter>): express.Handler {
  const standard = createExpressMiddleware(opts);
  if (opts.middleware) return standard; // connect middleware before tRPC: only the standard adapter runs it
  const { router, responseMeta, onError, maxBodySize, maxBatchSize } = opts;
  const config = router._def._config;
  const serialize = (v: unknown) => config.transformer.output.serialize(v);
  /** tRPC's `transformTRPCResponse` for the two envelopes, without its generic object spreads. */
  const wire = (e: { error: unknown } | { result: { data: unknown } }) => ('error' in e ? { error: serialize(e.error) } : { result: { data: serialize(e.result.data) } });
  const procedures = router._def.procedures as Record<string, AnyTRPCProcedure>;
  const allowBatching = opts.allowBatching ?? opts.batching?.enabled ?? true;
  const createContext = opts.createContext as (o: { req: express.Request; res: express.Response; info: TRPCRequestInfo }) => unknown;

  /** The calls of this request when the direct path can answer it exactly as tRPC would; null: let tRPC's adapter answer. */
  function plan(req: express.Request, search: URLSearchParams): { calls: Call[]; type: 'query' | 'mutation'; isBatchCall: boolean; path: string } | null {
    const method = req.method;
    if (method === 'GET') {
      if (req.headers['content-type'] !== undefined && !contentTypeIs(req, 'application/json')) return null;
    } else if (method === 'POST') {
      if (opts.allowMethodOverride || !contentTypeIs(req, 'application/json')) return null;
      const length = req.headers['content-length'];
      if (length === undefined || req.headers['transfer-encoding'] !== undefined || !/^\d{1,9}$/.test(length)) return null;
      if (maxBodySize != null && Number(length) > maxBodySize) return null;
      if (('body' in req && (req as { body?: unknown }).body !== undefined) || req.readableEnded) return null;
    } else return null;
    const accept = req.headers.accept;
    if (req.headers['trpc-accept'] !== undefined || (accept !== undefined && accept.includes('application/jsonl'))) return null;
    if (search.has('connectionParams')) return null;
    const host = req.headers.host;
    if ((host !== undefined && !PLAIN_HOST.test(host)) || URL_SPECIAL.test(req.url)) return null;

    const rawPath = req.path.slice(req.path.lastIndexOf('/') + 1);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return null;
    }
    const isBatchCall = search.get('batch') === '1';
    if (isBatchCall && !allowBatching) return null;
    const paths = isBatchCall ? path.split(',') : [path];
    if (isBatchCall && typeof maxBatchSize === 'number' && paths.length > maxBatchSize) return null;
    const type = method === 'GET' ? 'query' : 'mutation';
    const calls: Call[] = [];
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i]!;
      const procedure = Object.hasOwn(procedures, p) ? procedures[p] : undefined;
      // Not found (or in a lazy router not loaded yet), or called with the wrong method: tRPC's own answer.
      if (typeof procedure !== 'function' || procedure._def?.type !== type) return null;
      calls.push({ batchIndex: i, path: p, procedure, getRawInput: null!, result: null! });
    }
    return { calls, type, isBatchCall, path };
  }

  async function handle(req: express.Request, res: express.Response, planned: NonNullable<ReturnType<typeof plan>>, search: URLSearchParams) {
    const { calls, type, isBatchCall } = planned;
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    if (body === null) return; // nobody to answer

    // The request's inputs, read and deserialized once, on the first call that asks (tRPC's `memo`).
    const readInputs = (): Record<number, unknown> => {
      let inputs: unknown = undefined;
      if (body === undefined) {
        const q = search.get('input');
        if (q) inputs = JSON.parse(q);
      } else inputs = JSON.parse(utf8.decode(body));
      if (inputs === undefined) return Object.create(null);
      if (!isBatchCall) {
        const r = Object.create(null);
        r[0] = config.transformer.input.deserialize(inputs);
        return r;
      }
      if (!isObject(inputs)) throw new TRPCError({ code: 'BAD_REQUEST', message: '"input" needs to be an object when doing a batch call' });
      const acc = Object.create(null);
      for (let i = 0; i < calls.length; i++) {
        const input = inputs[i];
        if (input !== undefined) acc[i] = config.transformer.input.deserialize(input);
      }
      return acc;
    };
    let inputs: Record<number, unknown> | undefined;
    let inputError: TRPCError | undefined;
    const getInputs = async () => {
      if (inputs) return inputs;
      if (inputError) throw inputError;
      try {
        return (inputs = readInputs());
      } catch (cause) {
        throw (inputError = cause instanceof TRPCError ? cause : new TRPCError({ code: 'BAD_REQUEST', message: cause instanceof Error ? cause.message : 'Invalid input', cause }));
      }
    };
    for (const call of calls) {
      const i = call.batchIndex;
      call.getRawInput = async () => (await getInputs())[i];
      call.result = () => inputs?.[i];
    }

    const ac = new AbortController();
    const onClose = () => {
      if (!res.writableEnded) ac.abort();
    };
    res.once('close', onClose);
    let url: URL | null | undefined;
    const info: TRPCRequestInfo = {
      isBatchCall,
      accept: null,
      calls,
      type,
      connectionParams: null,
      signal: ac.signal,
      get url() {
        const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https:' : 'http:';
        return (url ??= new URL(req.url, `${proto}//${req.headers.host ?? 'localhost'}`));
      },
    };

    let ctx: unknown;
    let ctxError: TRPCError | undefined;
    try {
      ctx = await createContext({ req, res, info });
    } catch (cause) {
      ctxError = getTRPCErrorFromUnknown(cause);
    }
    const ctxOrUndefined = () => (ctxError ? undefined : ctx);

    const headers = new Headers([['vary', 'trpc-accept, accept']]);
    /** tRPC's `initResponse`: the status from the envelope(s), then `responseMeta`'s headers and status. */
    const head = (untransformed: unknown, errors: TRPCError[]) => {
      let status = getHTTPStatusCode(untransformed as Parameters<typeof getHTTPStatusCode>[0]);
      const data = Array.isArray(untransformed) ? untransformed : [untransformed];
      const meta =
        responseMeta?.({
          ctx: ctxOrUndefined() as never,
          info,
          paths: calls.map((c) => c.path),
          data: data as never,
          errors: errors as never,
          eagerGeneration: false,
          type,
        }) ?? {};
      if (meta.headers) {
        if (meta.headers instanceof Headers) for (const [k, v] of meta.headers.entries()) headers.append(k, v);
        else
          for (const [k, v] of Object.entries(meta.headers)) {
            if (Array.isArray(v)) for (const item of v) headers.append(k, item);
            else if (typeof v === 'string') headers.set(k, v);
          }
      }
      if (meta.status) status = meta.status;
      return status;
    };

    let status: number;
    let json: string;
    try {
      const outcomes = calls.map(async (call): Promise<Outcome> => {
        try {
          if (ctxError) throw ctxError;
          const data = await call.procedure({ path: call.path, getRawInput: call.getRawInput, ctx, type, signal: ac.signal, batchIndex: call.batchIndex });
          return [undefined, { data }];
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          onError?.({ error, path: call.path, input: call.result(), ctx: ctxOrUndefined() as never, type, req });
          return [error, undefined];
        }
      });
      headers.set('content-type', 'application/json');
      if (!isBatchCall) {
        const call = calls[0]!;
        const [error, result] = await outcomes[0]!;
        if (isDataStream(result?.data)) throw new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink' });
        const envelope = error
          ? { error: getErrorShape({ config, ctx: ctxOrUndefined(), error, input: call.result(), path: call.path, type }) }
          : { result: { data: result!.data } };
        status = head([envelope], error ? [error] : []);
        json = JSON.stringify(wire(envelope));
      } else {
        const results = (await Promise.all(outcomes)).map((r): Outcome => {
          if (r[0]) return r;
          if (isDataStream(r[1].data)) return [new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink' }), undefined];
          return r;
        });
        const envelopes = results.map(([error, result], i) => {
          const call = calls[i]!;
          return error ? { error: getErrorShape({ config, ctx: ctxOrUndefined(), error, input: call.result(), path: call.path, type }) } : { result: { data: result!.data } };
        });
        status = head(envelopes, results.flatMap(([e]) => (e ? [e] : [])));
        json = JSON.stringify(envelopes.map(wire));
      }
    } catch (cause) {
      // tRPC's `caughtErrorToData`: a failure outside the calls answers one error envelope.
      const error = getTRPCErrorFromUnknown(cause);
      onError?.({ error, path: undefined, input: undefined, ctx: ctxOrUndefined() as never, type, req });
      const envelope = { error: getErrorShape({ config, error, type, path: undefined, input: undefined, ctx: ctxOrUndefined() }) };
      json = JSON.stringify(wire(envelope));
      status = head(envelope, [error]);
    }
    res.off('close', onClose);

    // tRPC's `writeResponse`, with the body in one write (Content-Length instead of chunks).
    if (res.statusCode === 200) res.statusCode = status;
    for (const [k, v] of headers) if (k !== 'set-cookie') res.setHeader(k, v);
    const cookies = headers.getSetCookie();
    if (cookies.length > 0) res.setHeader('set-cookie', cookies);
    res.end(json);
  }

  return (req, res, next) => {
    const q = req.url.indexOf('?');
    const search = new URLSearchParams(q === -1 ? '' : req.url.slice(q + 1));
    let planned: ReturnType<typeof plan> = null;
    try {
      planned = plan(req, search);
    } catch {
      // tRPC's adapter answers whatever this one could not read
    }
    if (!planned) return standard(req, res, next);
    handle(req, res, planned, search).catch((cause: unknown) => failed(req, res, cause));
  };

  /** What tRPC's adapter does when its own machinery throws (`internal_exceptionHandler`). */
  function failed(req: IncomingMessage, res: ServerResponse, cause: unknown) {
    const error = getTRPCErrorFromUnknown(cause);
    const shape = getErrorShape({ config, error, type: 'unknown', path: undefined, input: undefined, ctx: undefined });
    onError?.({ req: req as express.Request, error, type: 'unknown', path: undefined, input: undefined, ctx: undefined });
    if (res.headersSent) return void res.destroy();
    res.statusCode = shape.data.httpStatus;
    res.end(JSON.stringify(transformTRPCResponse(config, { error: shape })));
  }
}

/** The options of the product's `/trpc` endpoint, for either path (the context reads `headers(req)`). */
function endpointOptions<TRouter extends AnyTRPCRouter>(router: TRouter, deps: Deps, auth: Auth, log: Logger, headers: (req: express.Request) => Headers | express.Request) {
  return {
    router,
    createContext: ({ req, res }: { req: express.Request; res: express.Response }) => createContext(deps, auth, headers(req), res.locals, req.socket.remoteAddress) as never,
    maxBodySize: 256 * 1024,
    responseMeta: retryAfterMeta,
    onError: ({ error, path }: { error: TRPCError; path?: string }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') log.error('trpc error', { path, err: error.cause ?? error });
    },
  };
}

/**
 * The product's `/trpc` endpoint for a router: the context (session from the cookie, the user id
 * for the usage log, the TCP peer), Retry-After on refusals that say when, 256 kB bodies at most,
 * unexpected failures logged. `server/index.ts` mounts it with `appRouter`; bench/trpc-overhead.ts
 * mounts the same thing with its one procedure.
 */
export function trpcEndpoint<TRouter extends AnyTRPCRouter>(router: TRouter, deps: Deps, auth: Auth, log: Logger = deps.log): express.Handler {
  return createTrpcMiddleware<TRouter>(endpointOptions(router, deps, auth, log, (req) => req));
}

/**
 * The same endpoint on tRPC's own Express adapter, its context built from a Fetch copy of the
 * headers: what `/trpc` was before ADR 0026. server/trpc/http.test.ts compares the two paths byte
 * for byte and bench/trpc-overhead.ts measures both.
 */
export function trpcAdapterEndpoint<TRouter extends AnyTRPCRouter>(router: TRouter, deps: Deps, auth: Auth, log: Logger = deps.log): express.Handler {
  return createExpressMiddleware<TRouter>(endpointOptions(router, deps, auth, log, toHeaders) as never);
}
