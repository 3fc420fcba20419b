import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import sharp from 'sharp';
import WebSocket, { WebSocketServer } from 'ws';

/**
 * A local server speaking ComfyUI's HTTP and WebSocket API (POST /prompt, /ws?clientId=,
 * GET /history/{id}, GET /view, POST /upload/image, GET/POST /queue, POST /interrupt), for testing
 * the real adapter. It validates graphs like ComfyUI does (known node classes, links, uploaded
 * images), runs one prompt at a time, and sends progress, executing, executed, success, error and
 * interrupted events to the socket of the client that submitted the prompt.
 */
export type ComfyMode = 'ok' | 'error' | 'hang' | 'interruptOnServer' | 'die' | 'oversized' | 'notImage' | 'noWs';

export interface ComfyRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

interface Prompt {
  id: string;
  number: number;
  clientId: string;
  graph: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
}

interface HistoryEntry {
  outputs: Record<string, { images: { filename: string; subfolder: string; type: string }[] }>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Record<string, unknown>][] };
}

export interface FakeComfy {
  url: string;
  hostPort: string;
  mode: ComfyMode;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token: string | undefined;
  /** Milliseconds between progress steps. */
  tickMs: number;
  requests: ComfyRequest[];
  /** Graphs accepted, in order. */
  prompts: Prompt[];
  uploads: Map<string, Buffer>;
  history: Map<string, HistoryEntry>;
  /** Every event sent on a socket, in order. */
  events: { type: string; data: Record<string, unknown> }[];
  /** Puts someone else's never-ending prompt in front of the queue. */
  occupy(): string;
  /** Ends the occupying prompt. */
  release(): void;
  close(): Promise<void>;
}

/** Node classes this fake knows (ComfyUI refuses unknown ones the same way). */
const KNOWN = new Set(['UNETLoader', 'CLIPLoader', 'VAELoader', 'CLIPTextEncode', 'EmptyFlux2LatentImage', 'RandomNoise', 'KSamplerSelect', 'Flux2Scheduler', 'BasicGuider', 'CFGGuider', 'SamplerCustomAdvanced', 'VAEDecode', 'SaveImage', 'LoadImage', 'ImageScaleToTotalPixels', 'VAEEncode', 'ReferenceLatent']);

const isLink = (v: unknown): v is [string, number] => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'number';

export async function startFakeComfyUi(): Promise<FakeComfy> {
  const sockets = new Map<string, WebSocket>();
  const queue: Prompt[] = [];
  let running: { prompt: Prompt; interrupt(): void } | null = null;
  let occupied: { id: string; end(): void } | null = null;
  let counter = 0;
  const files = new Map<string, Buffer>();
  const conns = new Set<Socket>();

  const fake: FakeComfy = {
    url: '',
    hostPort: '',
    mode: 'ok',
    token: undefined,
    tickMs: 5,
    requests: [],
    prompts: [],
    uploads: new Map(),
    history: new Map(),
    events: [],
    occupy() {
      const id = randomUUID();
      running = { prompt: { id, number: counter++, clientId: 'someone-else', graph: {} }, interrupt: () => {} };
      occupied = { id, end: () => {} };
      return id;
    },
    release() {
      const o = occupied;
      occupied = null;
      running = null;
      o?.end();
      void next();
    },
    close: async () => {},
  };

  const send = (clientId: string, type: string, data: Record<string, unknown>) => {
    fake.events.push({ type, data });
    const ws = sockets.get(clientId);
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type, data }));
  };
  const broadcastStatus = () => {
    for (const [id] of sockets) send(id, 'status', { status: { exec_info: { queue_remaining: queue.length + (running ? 1 : 0) } }, sid: id });
  };
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function execute(p: Prompt) {
    let interrupted = false;
    running = { prompt: p, interrupt: () => void (interrupted = true) };
    const graph = p.graph;
    const find = (cls: string) => Object.entries(graph).find(([, n]) => n.class_type === cls);
    const steps = Number(find('Flux2Scheduler')?.[1].inputs.steps ?? 4);
    const size = find('EmptyFlux2LatentImage')?.[1].inputs ?? { width: 64, height: 64 };
    const [saveId, save] = find('SaveImage')!;
    const sampler = find('SamplerCustomAdvanced')?.[0] ?? saveId;
    send(p.clientId, 'execution_start', { prompt_id: p.id, timestamp: Date.now() });
    send(p.clientId, 'executing', { node: sampler, display_node: sampler, prompt_id: p.id });
    const fail = (messages: HistoryEntry['status']['messages']) => fake.history.set(p.id, { outputs: {}, status: { status_str: 'error', completed: false, messages } });
    for (let step = 1; ; step++) {
      await wait(fake.tickMs);
      if (interrupted) {
        const data = { prompt_id: p.id, node_id: sampler, node_type: 'SamplerCustomAdvanced', executed: [], timestamp: Date.now() };
        send(p.clientId, 'execution_interrupted', data);
        fail([['execution_start', { prompt_id: p.id }], ['execution_interrupted', data]]);
        return;
      }
      if (fake.mode === 'hang' && step > 1) continue;
      if (step > steps) break;
      send(p.clientId, 'progress', { value: step, max: steps, prompt_id: p.id, node: sampler });
      if (step === 1 && fake.mode === 'die') {
        await fake.close();
        return;
      }
      if (step === 1 && fake.mode === 'error') {
        const data = { prompt_id: p.id, node_id: sampler, node_type: 'SamplerCustomAdvanced', executed: [], exception_message: 'CUDA out of memory. Tried to allocate 2.00 GiB', exception_type: 'torch.OutOfMemoryError', traceback: [], timestamp: Date.now() };
        send(p.clientId, 'execution_error', data);
        fail([['execution_start', { prompt_id: p.id }], ['execution_error', data]]);
        return;
      }
      if (step === 1 && fake.mode === 'interruptOnServer') interrupted = true;
    }
    const prefix = String(save.inputs.filename_prefix ?? 'ComfyUI');
    const slash = prefix.lastIndexOf('/');
    const subfolder = slash === -1 ? '' : prefix.slice(0, slash);
    const filename = `${prefix.slice(slash + 1)}_00001_.png`;
    const width = Number(size.width);
    const height = Number(size.height);
    files.set(`${subfolder}/${filename}`, await sharp({ create: { width, height, channels: 3, background: '#226644' } }).png().toBuffer());
    const image = { filename, subfolder, type: 'output' };
    send(p.clientId, 'executed', { node: saveId, display_node: saveId, output: { images: [image] }, prompt_id: p.id });
    send(p.clientId, 'executing', { node: null, prompt_id: p.id });
    send(p.clientId, 'execution_success', { prompt_id: p.id, timestamp: Date.now() });
    fake.history.set(p.id, { outputs: { [saveId]: { images: [image] } }, status: { status_str: 'success', completed: true, messages: [['execution_success', { prompt_id: p.id }]] } });
  }

  async function next() {
    if (running || occupied) return;
    const p = queue.shift();
    if (!p) return;
    try {
      await execute(p);
    } finally {
      if ((running as { prompt: Prompt } | null)?.prompt.id === p.id) running = null;
      broadcastStatus();
      void next();
    }
  }

  function validate(graph: unknown): { error: { type: string; message: string; details: string }; node_errors: Record<string, unknown> } | null {
    const bad = (message: string, details = '') => ({ error: { type: 'invalid_prompt', message, details }, node_errors: {} });
    if (!graph || typeof graph !== 'object') return bad('Prompt has no properly connected outputs');
    const g = graph as Prompt['graph'];
    for (const [id, n] of Object.entries(g)) {
      if (!n || typeof n.class_type !== 'string') return bad(`Cannot execute because a node is missing the class_type property.`, `Node ID '#${id}'`);
      if (!KNOWN.has(n.class_type)) return bad(`Cannot execute because node ${n.class_type} does not exist.`, `Node ID '#${id}'`);
      for (const v of Object.values(n.inputs ?? {})) if (isLink(v) && !g[v[0]]) return bad('Required input is missing', `Node ID '#${id}'`);
      if (n.class_type === 'LoadImage' && !fake.uploads.has(String(n.inputs.image))) {
        return { error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '' }, node_errors: { [id]: { errors: [{ type: 'custom_validation_failed', message: `Invalid image file: ${String(n.inputs.image)}` }] } } };
      }
    }
    if (!Object.values(g).some((n) => n.class_type === 'SaveImage')) return bad('Prompt has no outputs');
    return null;
  }

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', fake.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const isJson = String(req.headers['content-type'] ?? '').includes('json');
    let body: unknown = raw.length && isJson ? JSON.parse(raw.toString('utf8')) : undefined;
    if (String(req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
      body = await new Request(url, { method: 'POST', headers: req.headers as Record<string, string>, body: raw }).formData();
    }
    fake.requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, body });
    if (fake.token && req.headers.authorization !== `Bearer ${fake.token}`) return json(res, 401, { error: 'unauthorized' });
    const path = url.pathname;
    if (req.method === 'POST' && path === '/prompt') {
      const b = body as { prompt?: unknown; client_id?: string };
      const invalid = validate(b?.prompt);
      if (invalid) return json(res, 400, invalid);
      const p: Prompt = { id: randomUUID(), number: counter++, clientId: String(b.client_id ?? ''), graph: b.prompt as Prompt['graph'] };
      fake.prompts.push(p);
      queue.push(p);
      json(res, 200, { prompt_id: p.id, number: p.number, node_errors: {} });
      broadcastStatus();
      void next();
      return;
    }
    if (req.method === 'POST' && path === '/upload/image') {
      const form = body as FormData;
      const file = form.get('image') as File | null;
      if (!file) return void res.writeHead(400).end();
      fake.uploads.set(file.name, Buffer.from(await file.arrayBuffer()));
      return json(res, 200, { name: file.name, subfolder: '', type: 'input' });
    }
    if (path === '/queue' && req.method === 'GET') {
      const entry = (p: Prompt) => [p.number, p.id, p.graph, { client_id: p.clientId }, []];
      return json(res, 200, { queue_running: running ? [entry(running.prompt)] : [], queue_pending: queue.map(entry) });
    }
    if (path === '/queue' && req.method === 'POST') {
      const ids = new Set(((body as { delete?: string[] })?.delete ?? []).map(String));
      for (let i = queue.length - 1; i >= 0; i--) if (ids.has(queue[i]!.id)) queue.splice(i, 1);
      broadcastStatus();
      return void res.writeHead(200).end();
    }
    if (path === '/interrupt' && req.method === 'POST') {
      const target = (body as { prompt_id?: string })?.prompt_id;
      if (running && (!target || running.prompt.id === target)) running.interrupt();
      return void res.writeHead(200).end();
    }
    const h = path.match(/^\/history\/([^/]+)$/);
    if (h && req.method === 'GET') {
      const entry = fake.history.get(decodeURIComponent(h[1]!));
      return json(res, 200, entry ? { [decodeURIComponent(h[1]!)]: { prompt: [], ...entry } } : {});
    }
    if (path === '/view' && req.method === 'GET') {
      const key = `${url.searchParams.get('subfolder') ?? ''}/${url.searchParams.get('filename') ?? ''}`;
      const data = files.get(key);
      if (!data || url.searchParams.get('type') !== 'output') return void res.writeHead(404).end();
      if (fake.mode === 'notImage') return void res.writeHead(200, { 'content-type': 'image/png' }).end('<html>an error page</html>');
      if (fake.mode === 'oversized') return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.concat([data, Buffer.alloc(300_000)]));
      return void res.writeHead(200, { 'content-type': 'image/png' }).end(data);
    }
    json(res, 404, { error: 'not found' });
  });
  server.on('connection', (c) => {
    conns.add(c);
    c.on('close', () => conns.delete(c));
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', fake.url);
    fake.requests.push({ method: 'WS', path: url.pathname + url.search, headers: req.headers, body: undefined });
    if (url.pathname !== '/ws' || fake.mode === 'noWs' || (fake.token && req.headers.authorization !== `Bearer ${fake.token}`)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return socket.destroy();
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const clientId = url.searchParams.get('clientId') ?? randomUUID();
      sockets.set(clientId, ws);
      ws.on('close', () => sockets.get(clientId) === ws && sockets.delete(clientId));
      ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: queue.length + (running ? 1 : 0) } }, sid: clientId } }));
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.hostPort = `127.0.0.1:${port}`;
  let closed: Promise<void> | null = null;
  fake.close = () =>
    (closed ??= new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      for (const c of conns) c.destroy();
      server.close(() => resolve());
    }));
  return fake;
}
