import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * ComfyUI workflows: API-format graphs (ComfyUI's "Export (API)") whose parameters sit in nodes
 * named by their title (`_meta.title`, set in ComfyUI's editor before exporting):
 *
 * | title | input(s) set |
 * | --- | --- |
 * | `prompt` | `text` |
 * | `seed` | `noise_seed` (or `seed`) |
 * | `size` | `width`, `height` |
 * | `steps` (optional) | `steps`, and `width`/`height` when it has them (Flux2Scheduler) |
 * | `reference image 1`…`4` (edit) | `image`: the uploaded reference's file name |
 * | `reference 1`…`4` (edit) | a node with a `conditioning` link (ReferenceLatent): bypassed when that reference is not given |
 * | `output` | `filename_prefix`; its images are the result |
 *
 * Files: `<model>.text.json` (text to image) and `<model>.edit.json` (with references), looked up in
 * COMFYUI_WORKFLOWS_DIR first, then in the shipped `workflows/` folder next to this file. A file
 * that is missing a named node or input stops the server at boot with a message naming it.
 */

type Link = [string, number];
interface Node {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}
export type Graph = Record<string, Node>;

export interface Workflow {
  file: string;
  graph: Graph;
  /** Node ids by title (lower case). */
  nodes: Record<string, string>;
  outputNode: string;
  hasSteps: boolean;
  referenceSlots: number;
}

export type Workflows = Record<string, { text: Workflow; edit?: Workflow }>;

export const SHIPPED_WORKFLOWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows');
const MODELS = ['flux-2-klein-4b', 'flux-2-klein-9b'];

export class WorkflowError extends Error {}

const isLink = (v: unknown): v is Link => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'number';

export function parseWorkflow(file: string, text: string, kind: 'text' | 'edit'): Workflow {
  const bad = (why: string) => new WorkflowError(`ComfyUI workflow ${file}: ${why}`);
  let graph: Graph;
  try {
    graph = JSON.parse(text) as Graph;
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (!graph || typeof graph !== 'object' || Array.isArray(graph)) throw bad('not an API-format graph (export it with "Export (API)")');
  if ('nodes' in graph && 'links' in graph) throw bad('this is a UI-format graph; export it with "Export (API)" instead');
  const nodes: Record<string, string> = {};
  for (const [id, node] of Object.entries(graph)) {
    if (!node || typeof node.class_type !== 'string' || typeof node.inputs !== 'object' || node.inputs === null) throw bad(`node ${id} has no class_type or inputs`);
    for (const [name, v] of Object.entries(node.inputs)) if (isLink(v) && !graph[v[0]]) throw bad(`node ${id} input ${name} links to missing node ${v[0]}`);
    const title = node._meta?.title?.trim().toLowerCase();
    if (title) {
      if (nodes[title]) throw bad(`two nodes are titled "${title}"`);
      nodes[title] = id;
    }
  }
  const need = (title: string, inputs: string[][]) => {
    const id = nodes[title];
    if (!id) throw bad(`no node titled "${title}"`);
    for (const alternatives of inputs) if (!alternatives.some((i) => i in graph[id]!.inputs)) throw bad(`node "${title}" has no ${alternatives.join(' or ')} input`);
  };
  need('prompt', [['text']]);
  need('seed', [['noise_seed', 'seed']]);
  need('size', [['width'], ['height']]);
  need('output', [['filename_prefix']]);
  const hasSteps = Boolean(nodes.steps);
  if (hasSteps) need('steps', [['steps']]);
  let referenceSlots = 0;
  if (kind === 'edit') {
    while (nodes[`reference image ${referenceSlots + 1}`]) {
      const k = referenceSlots + 1;
      need(`reference image ${k}`, [['image']]);
      need(`reference ${k}`, [['conditioning']]);
      if (!isLink(graph[nodes[`reference ${k}`]!]!.inputs.conditioning)) throw bad(`node "reference ${k}" must take its conditioning from another node`);
      referenceSlots = k;
    }
    if (referenceSlots === 0) throw bad('an edit workflow needs nodes titled "reference image 1" and "reference 1"');
    referenceSlots = Math.min(4, referenceSlots);
  }
  return { file, graph, nodes, outputNode: nodes.output!, hasSteps, referenceSlots };
}

/** The workflows for each model: the operator's files first, then the shipped ones. */
export function loadWorkflows(operatorDir?: string): Workflows {
  const out: Workflows = {};
  const read = (model: string, kind: 'text' | 'edit') => {
    for (const dir of [operatorDir, SHIPPED_WORKFLOWS_DIR]) {
      if (!dir) continue;
      const file = path.join(dir, `${model}.${kind}.json`);
      if (fs.existsSync(file)) return parseWorkflow(file, fs.readFileSync(file, 'utf8'), kind);
    }
    return undefined;
  };
  for (const model of MODELS) {
    const text = read(model, 'text');
    if (!text) continue;
    out[model] = { text, edit: read(model, 'edit') };
  }
  return out;
}

export interface WorkflowParams {
  prompt: string;
  seed: number;
  width: number;
  height: number;
  steps?: number;
  /** File names of the uploaded references, in order. */
  references: string[];
  filenamePrefix: string;
}

/**
 * A copy of the workflow with the request's values in its named nodes. Reference slots beyond the
 * given references are bypassed (whatever linked to `reference k` now links to its conditioning
 * source), then every node the output no longer depends on is dropped.
 */
export function fillWorkflow(w: Workflow, p: WorkflowParams): Graph {
  const g = structuredClone(w.graph);
  const node = (title: string) => (w.nodes[title] ? g[w.nodes[title]!] : undefined);
  node('prompt')!.inputs.text = p.prompt;
  const seed = node('seed')!;
  seed.inputs['noise_seed' in seed.inputs ? 'noise_seed' : 'seed'] = p.seed;
  Object.assign(node('size')!.inputs, { width: p.width, height: p.height });
  const steps = node('steps');
  if (steps) {
    if (p.steps !== undefined) steps.inputs.steps = p.steps;
    if ('width' in steps.inputs) steps.inputs.width = p.width;
    if ('height' in steps.inputs) steps.inputs.height = p.height;
  }
  node('output')!.inputs.filename_prefix = p.filenamePrefix;
  for (let k = 1; k <= w.referenceSlots; k++) {
    if (k <= p.references.length) {
      node(`reference image ${k}`)!.inputs.image = p.references[k - 1];
      continue;
    }
    const id = w.nodes[`reference ${k}`]!;
    const source = g[id]!.inputs.conditioning as Link;
    for (const n of Object.values(g)) {
      for (const [name, v] of Object.entries(n.inputs)) if (isLink(v) && v[0] === id) n.inputs[name] = [...source];
    }
  }
  // Keep what the output depends on.
  const keep = new Set<string>();
  const visit = (id: string) => {
    if (keep.has(id) || !g[id]) return;
    keep.add(id);
    for (const v of Object.values(g[id]!.inputs)) if (isLink(v)) visit(v[0]);
  };
  visit(w.outputNode);
  for (const id of Object.keys(g)) if (!keep.has(id)) delete g[id];
  return g;
}

/** `host:port` of a base URL, as the media fetcher's allow-list spells it. */
export function hostPortOf(base: string): string {
  const u = new URL(base);
  return `${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}
