/**
 * What the graph layer draws, from a drawing and its layout: every node a fixed box (SIZE) at its laid-out corner,
 * every edge a bezier curve from the middle of its source's right side to the middle of its target's left side
 * (React Flow's own curve, getBezierPath). Pure: positions in, boxes and paths out.
 */
import { getBezierPath, Position } from '@xyflow/react';
import type { Positions } from './layered';

export type NodeKind = 'table' | 'group' | 'member';
export interface GraphNode { id: string; label: string; sublabel?: string; kind: NodeKind; count?: number; expanded?: boolean }
export interface GraphEdge { from: string; to: string; label?: string; count?: number }

export const SIZE: Record<NodeKind, { width: number; height: number }> = {
  table: { width: 220, height: 48 },
  member: { width: 220, height: 48 },
  group: { width: 240, height: 60 },
};

export function edgeId(from: string, to: string): string {
  return `${from}\u2192${to}`;
}

export interface Curve { id: string; from: string; to: string; d: string; labelX: number; labelY: number; label?: string }
export interface Bounds { x: number; y: number; width: number; height: number }

const ORIGIN = { x: 0, y: 0 };

export function positionOf(positions: Positions, id: string): { x: number; y: number } {
  return positions[id] ?? ORIGIN;
}

/** The curves of the edges between drawn nodes (no loops, one per pair), in the order given. */
export function curves(nodes: GraphNode[], edges: GraphEdge[], positions: Positions): Curve[] {
  const kind = new Map(nodes.map((n) => [n.id, n.kind]));
  const seen = new Set<string>();
  const out: Curve[] = [];
  for (const e of edges) {
    const from = kind.get(e.from);
    const to = kind.get(e.to);
    const id = edgeId(e.from, e.to);
    if (e.from === e.to || !from || !to || seen.has(id)) continue;
    seen.add(id);
    const a = positionOf(positions, e.from);
    const b = positionOf(positions, e.to);
    const [d, labelX, labelY] = getBezierPath({
      sourceX: a.x + SIZE[from].width, sourceY: a.y + SIZE[from].height / 2, sourcePosition: Position.Right,
      targetX: b.x, targetY: b.y + SIZE[to].height / 2, targetPosition: Position.Left,
    });
    out.push({ id, from: e.from, to: e.to, d, labelX, labelY, label: e.label });
  }
  return out;
}

/** The box around every node (for fitting the view). */
export function bounds(nodes: GraphNode[], positions: Positions): Bounds {
  if (!nodes.length) return { x: 0, y: 0, width: 1, height: 1 };
  let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
  for (const n of nodes) {
    const p = positionOf(positions, n.id);
    x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + SIZE[n.kind].width); y1 = Math.max(y1, p.y + SIZE[n.kind].height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
