/**
 * A fast layered (Sugiyama-style) layout, left to right, for graphs too big for ELK to lay out in time.
 *
 * ELK's layered algorithm gives the best drawings and is used for small graphs (layout.ts), but on lineage graphs
 * its cost grows with the long edges: 1,000 assets with 2,000 edges across many layers take ELK well over 2 s
 * (dagre and d3-dag too, measured on this machine). This one does the same steps in their simplest linear forms:
 * cycles broken by a depth-first search, longest-path layers (sources pulled next to their first consumer),
 * a few barycentre sweeps to reduce crossings, and columns of stacked nodes. Deterministic: the input is sorted
 * first, so the same graph always gets the same positions. Pure.
 */

export interface LayoutNode { id: string; width: number; height: number }
export interface LayoutEdge { source: string; target: string }
export type Positions = Record<string, { x: number; y: number }>;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function layeredLayout(input: LayoutNode[], links: LayoutEdge[], gapX = 90, gapY = 18, sweeps = 6): Positions {
  const nodes = [...input].sort((a, b) => cmp(a.id, b.id));
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const n = nodes.length;
  const out: number[][] = nodes.map(() => []);
  const seen = new Set<string>();
  for (const e of [...links].sort((a, b) => cmp(a.source, b.source) || cmp(a.target, b.target))) {
    const a = index.get(e.source);
    const b = index.get(e.target);
    const id = `${a}>${b}`;
    if (a === undefined || b === undefined || a === b || seen.has(id)) continue;
    seen.add(id);
    out[a].push(b);
  }
  const dag = acyclic(out);
  const preds: number[][] = nodes.map(() => []);
  dag.forEach((targets, a) => targets.forEach((b) => preds[b].push(a)));

  // longest-path layers in topological order; then each source moves next to its nearest consumer
  const order = topological(dag, preds);
  const layer = new Array<number>(n).fill(0);
  for (const v of order) for (const w of dag[v]) layer[w] = Math.max(layer[w], layer[v] + 1);
  for (const v of order) {
    if (!preds[v].length && dag[v].length) layer[v] = Math.min(...dag[v].map((w) => layer[w])) - 1;
  }
  const depth = n ? Math.max(...layer) + 1 : 0;
  const layers: number[][] = Array.from({ length: depth }, () => []);
  for (const v of order) layers[layer[v]].push(v);

  // barycentre sweeps, down then up, over the neighbours' relative positions
  const pos = new Array<number>(n).fill(0);
  const place = (): void => layers.forEach((l) => l.forEach((v, i) => { pos[v] = l.length > 1 ? i / (l.length - 1) : 0.5; }));
  place();
  for (let s = 0; s < sweeps; s++) {
    const down = s % 2 === 0;
    for (const l of down ? layers : [...layers].reverse()) {
      const bary = new Map<number, number>();
      for (const v of l) {
        const near = down ? preds[v] : dag[v];
        bary.set(v, near.length ? near.reduce((t, w) => t + pos[w], 0) / near.length : pos[v]);
      }
      const before = new Map(l.map((v, i) => [v, i]));
      l.sort((a, b) => bary.get(a)! - bary.get(b)! || before.get(a)! - before.get(b)!);
      l.forEach((v, i) => { pos[v] = l.length > 1 ? i / (l.length - 1) : 0.5; });
    }
  }

  // columns: each layer as wide as its widest node, its nodes stacked and centred on y = 0
  const positions: Positions = {};
  let x = 0;
  for (const l of layers) {
    const width = Math.max(0, ...l.map((v) => nodes[v].width));
    const height = l.reduce((t, v) => t + nodes[v].height, 0) + gapY * Math.max(0, l.length - 1);
    let y = -height / 2;
    for (const v of l) {
      positions[nodes[v].id] = { x, y: Math.round(y) };
      y += nodes[v].height + gapY;
    }
    x += width + gapX;
  }
  return positions;
}

/** The edges without those closing a cycle (found by an iterative depth-first search in node order). */
function acyclic(out: number[][]): number[][] {
  const state = new Array<number>(out.length).fill(0); // 0 new, 1 on the stack, 2 done
  const kept: number[][] = out.map(() => []);
  for (let root = 0; root < out.length; root++) {
    if (state[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [v, i] = top;
      if (i >= out[v].length) {
        state[v] = 2;
        stack.pop();
        continue;
      }
      top[1]++;
      const w = out[v][i];
      if (state[w] === 1) continue; // a back edge: dropped for the layering
      kept[v].push(w);
      if (state[w] === 0) {
        state[w] = 1;
        stack.push([w, 0]);
      }
    }
  }
  return kept;
}

function topological(out: number[][], preds: number[][]): number[] {
  const missing = preds.map((p) => p.length);
  const order: number[] = [];
  for (let v = 0; v < out.length; v++) if (!missing[v]) order.push(v);
  for (let i = 0; i < order.length; i++) {
    for (const w of out[order[i]]) if (--missing[w] === 0) order.push(w);
  }
  return order;
}
