/**
 * One layout request, computed where it runs (the Web Worker, or the page when no worker can start): ELK's
 * layered algorithm, left to right, for small graphs; the fast layered layout (layered.ts) above ELK_LIMIT.
 * Nodes and edges are sorted first, so the same graph always gets the same positions.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import { layeredLayout, type LayoutEdge, type LayoutNode, type Positions } from './layered';

export interface LayoutRequest { id: number; nodes: LayoutNode[]; edges: LayoutEdge[]; engine?: 'auto' | 'elk' | 'layered' }
export interface LayoutResult { id: number; positions?: Positions; engine?: string; ms?: number; error?: string }

/** Above this many nodes, or edges twice as many, ELK takes seconds: the fast layout draws instead. */
export const ELK_LIMIT = 120;

const ELK_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.spacing.nodeNode': '18',
  'elk.layered.spacing.nodeNodeBetweenLayers': '70',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.randomSeed': '1',
};

let elk: InstanceType<typeof ELK> | null = null;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export async function computeLayout(request: LayoutRequest): Promise<LayoutResult> {
  const start = performance.now();
  const nodes = [...request.nodes].sort((a, b) => cmp(a.id, b.id));
  const known = new Set(nodes.map((n) => n.id));
  const edges = request.edges.filter((e) => known.has(e.source) && known.has(e.target) && e.source !== e.target)
    .sort((a, b) => cmp(a.source, b.source) || cmp(a.target, b.target));
  const engine = request.engine && request.engine !== 'auto' ? request.engine
    : nodes.length <= ELK_LIMIT && edges.length <= 2 * ELK_LIMIT ? 'elk' : 'layered';
  try {
    let positions: Positions;
    if (engine === 'elk') {
      elk ??= new ELK();
      const laid = await elk.layout({
        id: 'root', layoutOptions: ELK_OPTIONS,
        children: nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
        edges: edges.map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
      });
      positions = {};
      for (const c of laid.children ?? []) positions[c.id] = { x: c.x ?? 0, y: c.y ?? 0 };
    } else {
      positions = layeredLayout(nodes, edges);
    }
    return { id: request.id, positions, engine, ms: performance.now() - start };
  } catch (e) {
    return { id: request.id, error: e instanceof Error ? e.message : String(e) };
  }
}
