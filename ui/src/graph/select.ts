/**
 * The selection grammar of overlay/selection.py, evaluated in the browser over a whole graph (the `graph` of
 * window.OVERLAY_STATIC, the body of GET /api/v1/graph), so the static export answers
 * `/api/v1/graph?select=&group_by=&max_nodes=` and `/api/v1/graph/path?from=&to=` as the API does.
 *
 *   +key  key+  2+key+1   owner:growth  dag:finance_*  tag:x  source:prod  schema:raw   and / or / not / ( )
 *
 * Same semantics and the same error messages as the Python module (tests/test_selection.py is mirrored in
 * select.test.ts and checked against Python on sample_dags by tests/test_ui_select.py). Pure functions.
 */

export const METHODS = ['owner', 'dag', 'tag', 'source', 'schema'] as const;
export const GROUPS = ['dag', 'schema', 'owner', 'source'] as const;
export const MAX_EXPRESSION = 2000;
export const DEFAULT_MAX_NODES = 2000;

/** The whole graph as GET /api/v1/graph answers it (only the fields used here). */
export interface StaticGraph {
  assets: { key: string; namespace: string; name: string; owners?: string[]; producers?: string[]; consumers?: string[] }[];
  edges: { from: string; to: string; via: string }[];
  tasks?: { dag_id: string; task_id: string; source?: string | null; reads?: string[]; writes?: string[] }[];
  dags?: { dag_id: string; tags?: string[] | null; source?: string | null }[];
}

export interface ViewNode {
  id: string;
  key?: string;
  namespace?: string;
  name?: string;
  producers?: string[];
  consumers?: string[];
  group?: boolean;
  count?: number;
  members?: string[];
}
export interface ViewEdge { from: string; to: string; via: string[]; count: number }
export interface GraphView {
  selected: number;
  group_by: string | null;
  truncated: boolean;
  grouped_because?: string;
  nodes: ViewNode[];
  edges: ViewEdge[];
}
export interface PathAnswer { nodes: string[]; edges: { from: string; to: string; via: string }[] }

/** A selection that does not parse or names nothing (status 400), or a path that does not exist (404). */
export class SelectionError extends Error {
  status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'SelectionError';
    this.status = status;
  }
}

interface AssetNode { key: string; namespace: string; name: string; producers: string[]; consumers: string[]; writers: string[]; readers: string[] }

/** What the methods and walks look at: the graph indexed once per StaticGraph object. */
export interface Context {
  nodes: Map<string, AssetNode>;
  succ: Map<string, string[]>;
  pred: Map<string, string[]>;
  edges: { from: string; to: string; via: string }[]; // unique (from, to, via), sorted
  owners: Map<string, string[]>;
  dagTags: Map<string, string[]>;
  dagSources: Map<string, string>;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sorted = (values: Iterable<string>): string[] => [...values].sort(cmp);
const repr = (s: string): string => (s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);

const contexts = new WeakMap<StaticGraph, Context>();

export function contextOf(graph: StaticGraph): Context {
  let ctx = contexts.get(graph);
  if (!ctx) {
    ctx = buildContext(graph);
    contexts.set(graph, ctx);
  }
  return ctx;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf(':');
  return i >= 0 && i < key.length - 1 ? [key.slice(0, i), key.slice(i + 1)] : ['', key];
}

export function buildContext(graph: StaticGraph): Context {
  const nodes = new Map<string, AssetNode>();
  const owners = new Map<string, string[]>();
  const taskDag = new Map<string, string>();
  const dagSources = new Map<string, string>();
  const dagTags = new Map<string, string[]>();
  const add = (key: string, namespace?: string, name?: string): AssetNode => {
    let node = nodes.get(key);
    if (!node) {
      const [ns, nm] = namespace !== undefined && name !== undefined ? [namespace, name] : splitKey(key);
      node = { key, namespace: ns, name: nm, producers: [], consumers: [], writers: [], readers: [] };
      nodes.set(key, node);
    }
    return node;
  };
  for (const t of graph.tasks ?? []) {
    taskDag.set(`${t.dag_id}.${t.task_id}`, t.dag_id);
    if (t.source) dagSources.set(t.dag_id, t.source);
  }
  for (const d of graph.dags ?? []) {
    dagTags.set(d.dag_id, [...(d.tags ?? [])]);
    if (d.source) dagSources.set(d.dag_id, d.source);
  }
  const dagOf = (ref: string): string => taskDag.get(ref) ?? ref.slice(0, Math.max(0, ref.lastIndexOf('.'))) ?? ref;
  for (const a of graph.assets) {
    const node = add(a.key, a.namespace, a.name);
    node.producers = sorted(new Set(a.producers ?? []));
    node.consumers = sorted(new Set(a.consumers ?? []));
    if (a.owners && a.owners.length) owners.set(a.key, [...a.owners]);
  }
  const seen = new Set<string>();
  const edges: Context['edges'] = [];
  for (const e of graph.edges) {
    const id = `${e.from}\u0000${e.to}\u0000${e.via}`;
    if (seen.has(id)) continue;
    seen.add(id);
    add(e.from);
    add(e.to);
    edges.push({ from: e.from, to: e.to, via: e.via });
  }
  edges.sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.via, b.via));
  const succ = new Map<string, Set<string>>();
  const pred = new Map<string, Set<string>>();
  const inVia = new Map<string, Set<string>>();
  const outVia = new Map<string, Set<string>>();
  const push = (m: Map<string, Set<string>>, k: string, v: string): void => {
    let s = m.get(k);
    if (!s) m.set(k, (s = new Set()));
    s.add(v);
  };
  for (const e of edges) {
    push(succ, e.from, e.to);
    push(pred, e.to, e.from);
    push(outVia, e.from, e.via);
    push(inVia, e.to, e.via);
  }
  for (const node of nodes.values()) {
    // as overlay.graph.build_graph: without io rows, producers and consumers are known from the edges
    if (!node.producers.length) node.producers = sorted(inVia.get(node.key) ?? []);
    if (!node.consumers.length) node.consumers = sorted(outVia.get(node.key) ?? []);
    node.writers = sorted(new Set(node.producers.map(dagOf)));
    node.readers = sorted(new Set(node.consumers.map(dagOf)));
  }
  const lists = (m: Map<string, Set<string>>): Map<string, string[]> => new Map([...m].map(([k, v]) => [k, sorted(v)]));
  return { nodes, succ: lists(succ), pred: lists(pred), edges, owners, dagTags, dagSources };
}

// --- glob (Python's fnmatch.fnmatchcase) ------------------------------------------------------------

const globs = new Map<string, RegExp>();

export function fnmatch(name: string, pattern: string): boolean {
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(`^${translate(pattern)}$`, 's');
    if (globs.size > 500) globs.clear();
    globs.set(pattern, re);
  }
  return re.test(name);
}

function translate(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) out += '\\[';
      else {
        let body = pattern.slice(i + 1, j);
        const negate = body.startsWith('!');
        if (negate) body = body.slice(1);
        body = body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^');
        out += `[${negate ? '^' : ''}${body}]`;
        i = j;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return out;
}

// --- parsing and evaluation ------------------------------------------------------------------------

type Node = (ctx: Context) => Set<string>;
const TOKEN = /\s*(\(|\)|[^\s()]+)/g;
const ATOM = /^(?:(\d*)\+)?([^+]+?)(?:\+(\d*))?$/;

export function tokens(expression: string): string[] {
  return [...expression.matchAll(TOKEN)].map((m) => m[1]);
}

/** The asset keys `expression` selects over the graph (throws SelectionError). */
export function select(expression: string, graph: StaticGraph | Context): Set<string> {
  const ctx = 'nodes' in graph && graph.nodes instanceof Map ? (graph as Context) : contextOf(graph as StaticGraph);
  if (expression.length > MAX_EXPRESSION) {
    throw new SelectionError(`selection is ${expression.length} characters long; at most ${MAX_EXPRESSION}`);
  }
  const toks = tokens(expression);
  if (!toks.length) throw new SelectionError('empty selection');
  const parser = new Parser(toks);
  const node = parser.union();
  if (parser.pos < toks.length) throw new SelectionError(`unexpected ${repr(toks[parser.pos])} at token ${parser.pos + 1}`);
  return node(ctx);
}

class Parser {
  pos = 0;
  constructor(private toks: string[]) {}

  peek(): string | undefined {
    return this.toks[this.pos];
  }

  take(): string {
    return this.toks[this.pos++];
  }

  union(): Node {
    const parts = [this.intersection()];
    while (this.peek() !== undefined && this.peek() !== ')') {
      if (this.peek() === 'or') this.take();
      parts.push(this.intersection());
    }
    return parts.length === 1 ? parts[0] : (ctx) => {
      const out = new Set<string>();
      for (const p of parts) for (const k of p(ctx)) out.add(k);
      return out;
    };
  }

  intersection(): Node {
    const parts = [this.negation()];
    while (this.peek() === 'and') {
      this.take();
      parts.push(this.negation());
    }
    return parts.length === 1 ? parts[0] : (ctx) => {
      const sets = parts.map((p) => p(ctx));
      return new Set([...sets[0]].filter((k) => sets.every((s) => s.has(k))));
    };
  }

  negation(): Node {
    if (this.peek() === 'not') {
      this.take();
      const inner = this.negation();
      return (ctx) => {
        const inside = inner(ctx);
        return new Set([...ctx.nodes.keys()].filter((k) => !inside.has(k)));
      };
    }
    return this.primary();
  }

  primary(): Node {
    const token = this.peek();
    if (token === undefined) throw new SelectionError("selection ends where an asset, a method or '(' was expected");
    if (token === 'and' || token === 'or' || token === ')') throw new SelectionError(`unexpected ${repr(token)} at token ${this.pos + 1}`);
    this.take();
    if (token === '(') {
      const inner = this.union();
      if (this.peek() !== ')') throw new SelectionError("missing ')'");
      this.take();
      return inner;
    }
    return atom(token);
  }
}

function atom(token: string): Node {
  const match = ATOM.exec(token);
  if (!match) throw new SelectionError(`cannot read ${repr(token)}`);
  const [, up, body, down] = match;
  const colon = body.indexOf(':');
  const method = colon >= 0 ? body.slice(0, colon) : body;
  const value = colon >= 0 ? body.slice(colon + 1) : '';
  const isMethod = (METHODS as readonly string[]).includes(method) && value !== '';
  const base: Node = isMethod ? (ctx) => byMethod(ctx, method, value) : (ctx) => byKey(ctx, body);
  return (ctx) => {
    const seeds = base(ctx);
    const out = new Set(seeds);
    for (const key of seeds) {
      if (up !== undefined) for (const k of walk(ctx.pred, key, up ? Number(up) : null).keys()) out.add(k);
      if (down !== undefined) for (const k of walk(ctx.succ, key, down ? Number(down) : null).keys()) out.add(k);
    }
    return out;
  };
}

/** Breadth-first walk from `key` (included) within `depth` hops -> distance; safe on cycles. */
export function walk(neighbours: Map<string, string[]>, key: string, depth: number | null): Map<string, number> {
  const distance = new Map([[key, 0]]);
  const queue = [key];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i];
    const d = distance.get(node)!;
    if (depth !== null && d >= depth) continue;
    for (const other of neighbours.get(node) ?? []) {
      if (!distance.has(other)) {
        distance.set(other, d + 1);
        queue.push(other);
      }
    }
  }
  return distance;
}

function byKey(ctx: Context, pattern: string): Set<string> {
  if (ctx.nodes.has(pattern)) return new Set([pattern]);
  const found = new Set<string>();
  const glob = /[*?[]/.test(pattern);
  for (const [k, d] of ctx.nodes) {
    const hit = glob
      ? fnmatch(k, pattern) || fnmatch(d.name, pattern) || fnmatch(d.name, `*.${pattern}`)
      : d.name === pattern || d.name.endsWith(`.${pattern}`);
    if (hit) found.add(k);
  }
  if (!found.size) throw new SelectionError(`no asset matches ${repr(pattern)}`);
  return found;
}

const dagsOf = (d: AssetNode): string[] => [...new Set([...d.writers, ...d.readers])];

function lstripAt(s: string): string {
  return s.replace(/^@+/, '');
}

function byMethod(ctx: Context, method: string, value: string): Set<string> {
  const out = new Set<string>();
  const lower = value.toLowerCase();
  for (const [k, d] of ctx.nodes) {
    let hit = false;
    if (method === 'owner') {
      hit = (ctx.owners.get(k) ?? []).some((o) => fnmatch(o.toLowerCase(), lower) || lstripAt(o.toLowerCase()).endsWith(lower));
    } else if (method === 'dag') {
      hit = dagsOf(d).some((dag) => fnmatch(dag, value));
    } else if (method === 'tag') {
      hit = dagsOf(d).some((dag) => (ctx.dagTags.get(dag) ?? []).some((t) => fnmatch(t, value)));
    } else if (method === 'source') {
      hit = dagsOf(d).some((dag) => ctx.dagSources.get(dag) === value);
    } else if (method === 'schema') {
      const schema = schemaOf(d.name);
      hit = fnmatch(schema, value) || schema.endsWith(`.${value}`);
    } else {
      throw new SelectionError(`unknown method ${repr(method)}: use ${METHODS.join(', ')}`);
    }
    if (hit) out.add(k);
  }
  return out;
}

/** `db.schema.table` -> `db.schema`; a one-part name has no schema. */
export function schemaOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i >= 0 ? name.slice(0, i) : '';
}

// --- the selected part of the graph, flat or grouped -----------------------------------------------

export function groupOf(ctx: Context, key: string, by: string): string {
  const d = ctx.nodes.get(key)!;
  if (by === 'dag') return d.writers[0] ?? '(not written by any DAG)';
  if (by === 'schema') return `${d.namespace}:${schemaOf(d.name)}`;
  if (by === 'owner') return (ctx.owners.get(key) ?? [])[0] ?? '(unowned)';
  if (by === 'source') {
    const sources = sorted(new Set(d.writers.filter((w) => ctx.dagSources.has(w)).map((w) => ctx.dagSources.get(w)!)));
    return sources[0] ?? '(no source)';
  }
  throw new SelectionError(`unknown group_by ${repr(by)}: use ${GROUPS.join(', ')}`);
}

/** Nodes and edges of the selection, grouped into collapsed nodes with `groupBy`; above `limit` nodes, no edges. */
export function view(ctx: Context, keys: Set<string>, groupBy: string | null = null, limit = 5000): GraphView {
  const member = new Map<string, string>();
  let nodes: ViewNode[];
  if (groupBy === null) {
    for (const k of keys) member.set(k, k);
    nodes = sorted(keys).map((k) => {
      const d = ctx.nodes.get(k)!;
      return { id: k, key: k, namespace: d.namespace, name: d.name, producers: d.producers, consumers: d.consumers };
    });
  } else {
    const groups = new Map<string, string[]>();
    for (const k of keys) {
      const g = groupOf(ctx, k, groupBy);
      member.set(k, g);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push(k);
    }
    nodes = sorted(groups.keys()).map((g) => ({ id: g, group: true, count: groups.get(g)!.length, members: sorted(groups.get(g)!).slice(0, 50) }));
  }
  const edges = new Map<string, { from: string; to: string; via: Set<string> }>();
  for (const e of ctx.edges) {
    const a = member.get(e.from);
    const b = member.get(e.to);
    if (a === undefined || b === undefined || a === b) continue;
    const id = `${a}\u0000${b}`;
    if (!edges.has(id)) edges.set(id, { from: a, to: b, via: new Set() });
    edges.get(id)!.via.add(e.via);
  }
  const tooMany = nodes.length > limit;
  return {
    selected: keys.size,
    group_by: groupBy,
    truncated: tooMany,
    nodes: nodes.slice(0, limit),
    edges: tooMany ? [] : [...edges.values()].sort((x, y) => cmp(x.from, y.from) || cmp(x.to, y.to))
      .map((e) => ({ from: e.from, to: e.to, via: sorted(e.via).slice(0, 20), count: e.via.size })),
  };
}

type Params = Record<string, string | number | boolean | undefined | null>;

/** The answer of GET /api/v1/graph?select=&group_by=&max_nodes=&limit= over a whole graph. */
export function graphAnswer(graph: StaticGraph, params: Params): GraphView {
  const ctx = contextOf(graph);
  const expression = String(params.select ?? '');
  let groupBy = params.group_by ? String(params.group_by) : null;
  if (groupBy !== null && !(GROUPS as readonly string[]).includes(groupBy)) {
    throw new SelectionError(`unknown group_by ${repr(groupBy)}: use ${GROUPS.join(', ')}`);
  }
  const limit = params.limit ? Number(params.limit) : 1000;
  const maxNodes = params.max_nodes ? Number(params.max_nodes) : DEFAULT_MAX_NODES;
  let keys: Set<string>;
  try {
    keys = select(expression, ctx);
  } catch (e) {
    if (e instanceof SelectionError) throw new SelectionError(`select ${repr(expression)}: ${e.message}`, e.status);
    throw e;
  }
  let because: string | undefined;
  if (groupBy === null && keys.size > maxNodes) {
    groupBy = 'schema';
    because = `${keys.size} nodes > ${maxNodes}`;
  }
  const answer = view(ctx, keys, groupBy, limit);
  return because ? { ...answer, grouped_because: because } : answer;
}

/** An asset key from a key or an unambiguous suffix of its name (as the API's resolve_key). */
export function resolveKey(ctx: Context, key: string): string {
  if (ctx.nodes.has(key)) return key;
  const found = [...ctx.nodes.values()].filter((d) => d.name === key || d.name.endsWith(`.${key}`)).map((d) => d.key);
  if (found.length === 1) return found[0];
  if (!found.length) throw new SelectionError(`no asset matches ${repr(key)}`, 404);
  throw new SelectionError(`${repr(key)} matches ${found.length} assets: ${sorted(found).slice(0, 5).join(', ')}`, 409);
}

/** Shortest path following edges from -> to, else to -> from; null when there is none. */
export function shortestPath(ctx: Context, from: string, to: string): PathAnswer | null {
  for (const [a, b] of [[from, to], [to, from]]) {
    const parent = new Map<string, string>([[a, a]]);
    const queue = [a];
    for (let i = 0; i < queue.length && !parent.has(b); i++) {
      for (const next of ctx.succ.get(queue[i]) ?? []) {
        if (!parent.has(next)) {
          parent.set(next, queue[i]);
          queue.push(next);
        }
      }
    }
    if (!parent.has(b)) continue;
    const nodes = [b];
    while (nodes[0] !== a) nodes.unshift(parent.get(nodes[0])!);
    const edges = nodes.slice(1).map((n, i) => ({
      from: nodes[i], to: n, via: ctx.edges.find((e) => e.from === nodes[i] && e.to === n)?.via ?? '',
    }));
    return { nodes, edges };
  }
  return null;
}

/** The answer of GET /api/v1/graph/path?from=&to= over a whole graph (SelectionError 404 when no path). */
export function pathAnswer(graph: StaticGraph, params: Params): PathAnswer {
  const ctx = contextOf(graph);
  const from = resolveKey(ctx, String(params.from ?? ''));
  const to = resolveKey(ctx, String(params.to ?? ''));
  const path = shortestPath(ctx, from, to);
  if (!path) throw new SelectionError(`no path between ${from} and ${to}`, 404);
  return path;
}
