/**
 * From the API's answers to what the explorer draws: a flat selection as table nodes, a grouped one as group
 * nodes, with the expanded groups replaced by their members (edges from the flat answer of the same selection).
 * And a path (keys) as the nodes and edges to highlight in that drawing. Pure.
 */
import type { GraphEdge, GraphNode } from './GraphView';
import { edgeId } from './GraphView';
import type { GraphView as Answer, ViewNode } from './select';

export const NODE_LIMIT = 1500; // drawn nodes; above it the explorer shows groups or a list

export function shortName(name: string): string {
  const i = name.lastIndexOf('.');
  return i >= 0 ? name.slice(i + 1) : name;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf(':');
  return i >= 0 ? [key.slice(0, i), key.slice(i + 1)] : ['', key];
}

export function tableNode(n: ViewNode, kind: 'table' | 'member' = 'table', group?: string): GraphNode {
  const [ns, nm] = n.namespace !== undefined && n.name !== undefined ? [n.namespace, n.name] : splitKey(n.id);
  const schema = nm.includes('.') ? nm.slice(0, nm.lastIndexOf('.')) : '';
  return { id: n.id, label: shortName(nm), sublabel: group ? `in ${group}` : [ns, schema].filter(Boolean).join(' · '), kind };
}

export interface Drawing { nodes: GraphNode[]; edges: GraphEdge[]; display: (key: string) => string | undefined }

/** The drawing of an answer; `expanded` groups show their members, linked through `flat` when it is loaded. */
export function compose(answer: Answer, expanded: Set<string>, flat: Answer | null): Drawing {
  if (!answer.group_by) {
    const nodes = answer.nodes.map((n) => tableNode(n));
    const ids = new Set(nodes.map((n) => n.id));
    return {
      nodes,
      edges: answer.edges.map((e) => ({ from: e.from, to: e.to, label: e.via.join(', '), count: e.count })),
      display: (key) => (ids.has(key) ? key : undefined),
    };
  }
  const groupOf = new Map<string, string>();
  for (const g of answer.nodes) for (const m of g.members ?? []) groupOf.set(m, g.id);
  const open = answer.nodes.filter((g) => expanded.has(g.id));
  const memberOf = new Map<string, string>();
  for (const g of open) for (const m of g.members ?? []) memberOf.set(m, g.id);
  const display = (key: string): string | undefined => (memberOf.has(key) ? key : groupOf.get(key));
  const flatNodes = new Map((flat?.nodes ?? []).map((n) => [n.id, n]));
  const nodes: GraphNode[] = [];
  for (const g of answer.nodes) {
    if (!expanded.has(g.id)) {
      nodes.push({ id: g.id, label: g.id, kind: 'group', count: g.count, expanded: false });
      continue;
    }
    const members = g.members ?? [];
    for (const m of members) nodes.push(tableNode(flatNodes.get(m) ?? { id: m }, 'member', g.id));
    if ((g.count ?? 0) > members.length) {
      nodes.push({ id: g.id, label: g.id, kind: 'group', count: (g.count ?? 0) - members.length, expanded: true, sublabel: 'not shown' });
    }
  }
  const edges = new Map<string, GraphEdge>();
  const add = (from: string, to: string, label: string): void => {
    if (from === to) return;
    const id = edgeId(from, to);
    const e = edges.get(id);
    if (e) e.count = (e.count ?? 1) + 1;
    else edges.set(id, { from, to, label, count: 1 });
  };
  for (const e of answer.edges) {
    if (!expanded.has(e.from) && !expanded.has(e.to)) edges.set(edgeId(e.from, e.to), { from: e.from, to: e.to, label: e.via.join(', '), count: e.count });
  }
  if (flat) {
    for (const e of flat.edges) {
      if (!memberOf.has(e.from) && !memberOf.has(e.to)) continue;
      const a = display(e.from);
      const b = display(e.to);
      if (a && b) add(a, b, e.via.join(', '));
    }
  }
  return { nodes, edges: [...edges.values()], display };
}

/** The nodes and edges of a path (asset keys, in order) as drawn; `missing` counts the path's assets not drawn. */
export function pathHighlight(path: string[], drawing: Drawing): { nodes: Set<string>; edges: Set<string>; missing: number } {
  const shown = path.map((k) => drawing.display(k));
  const nodes = new Set(shown.filter((k): k is string => Boolean(k)));
  const edges = new Set<string>();
  for (let i = 1; i < shown.length; i++) {
    const a = shown[i - 1];
    const b = shown[i];
    if (a && b && a !== b) edges.add(edgeId(a, b));
  }
  return { nodes, edges, missing: shown.filter((k) => !k).length };
}

/** Breadth-first shortest path over loaded edges, from -> to, else to -> from (the fallback of /graph/path). */
export function bfsPath(edges: { from: string; to: string }[], from: string, to: string): string[] | null {
  const next = new Map<string, string[]>();
  for (const e of [...edges].sort((x, y) => (x.to < y.to ? -1 : x.to > y.to ? 1 : 0))) {
    if (!next.has(e.from)) next.set(e.from, []);
    next.get(e.from)!.push(e.to);
  }
  for (const [a, b] of [[from, to], [to, from]]) {
    const parent = new Map([[a, a]]);
    const queue = [a];
    for (let i = 0; i < queue.length && !parent.has(b); i++) {
      for (const w of next.get(queue[i]) ?? []) {
        if (!parent.has(w)) {
          parent.set(w, queue[i]);
          queue.push(w);
        }
      }
    }
    if (!parent.has(b)) continue;
    const path = [b];
    while (path[0] !== a) path.unshift(parent.get(path[0])!);
    return path;
  }
  return null;
}
