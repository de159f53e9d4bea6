/**
 * The nodes and edges of a laid-out graph, drawn inside React Flow's viewport (a ViewportPortal: React Flow pans and
 * zooms them) as plain elements: one positioned box per node, one SVG path per edge. Not React Flow's own nodes and
 * edges: those are measured in the page after the first paint (a ResizeObserver and getBoundingClientRect for every
 * node and handle), re-rendered with the measurements, and each one subscribes to React Flow's store: about 2.5 s
 * for 1,000 nodes and 1,700 edges in Chromium here, against a few hundred milliseconds for these.
 *
 * Each box and edge is a memoised component whose props are plain values: a click or a highlighted path re-renders
 * the boxes and edges it changes. Clicks and keys are taken once, on the layer, for the box under the pointer or
 * with the focus (each box is a focusable button: Space selects it, Enter opens it).
 */
import { memo, useId, type KeyboardEvent, type MouseEvent } from 'react';
import type { Positions } from './layered';
import { positionOf, SIZE, type Curve, type GraphNode } from './elements';

export interface LayerProps {
  nodes: GraphNode[];
  curves: Curve[];
  positions: Positions;
  selected?: string | null;
  root?: string | null;
  highlight?: { nodes: Set<string>; edges: Set<string> } | null;
  edgeLabels: boolean;
  onNodeClick?: (id: string) => void;
  onNodeOpen?: (id: string) => void;
}

const Box = memo(function Box({ node, x, y, selected, highlighted, root }: {
  node: GraphNode; x: number; y: number; selected: boolean; highlighted: boolean; root: boolean;
}) {
  const cls = `og-node og-${node.kind}${selected ? ' og-selected' : ''}${highlighted ? ' og-path' : ''}${root ? ' og-root' : ''}`;
  return (
    <div className={cls} style={{ transform: `translate(${x}px, ${y}px)`, ...SIZE[node.kind] }} title={node.id} data-node-id={node.id} data-kind={node.kind}
      role="button" tabIndex={0} aria-pressed={selected}>
      <div className="og-label">{node.kind === 'group' && <span className="og-toggle">{node.expanded ? '−' : '+'}</span>}{node.label}</div>
      <div className="og-sub">
        {node.kind === 'group' ? `${node.count ?? 0} asset${node.count === 1 ? '' : 's'}${node.sublabel ? ` · ${node.sublabel}` : ''}` : node.sublabel}
      </div>
    </div>
  );
});

/** One edge: a path, and its label (the tasks) when labels are on. */
const Line = memo(function Line({ curve, on, marker }: { curve: Curve; on: boolean; marker: string }) {
  return <path className={on ? 'og-edge og-edge-path' : 'og-edge'} data-edge-id={curve.id} d={curve.d} markerEnd={`url(#${marker})`} />;
});

const Label = memo(function Label({ curve }: { curve: Curve }) {
  return <text className="og-edge-label" x={curve.labelX} y={curve.labelY} textAnchor="middle" dominantBaseline="middle">{curve.label}</text>;
});

function nodeAt(e: MouseEvent | KeyboardEvent): string | null {
  const el = (e.target as Element).closest<HTMLElement>('[data-node-id]');
  return el?.dataset.nodeId ?? null;
}

export function Layer({ nodes, curves, positions, selected, root, highlight, edgeLabels, onNodeClick, onNodeOpen }: LayerProps) {
  const marker = `og-arrow-${useId().replace(/:/g, '')}`;
  const lit = highlight?.edges;
  // highlighted edges last, so that they are drawn over the others
  const ordered = lit?.size ? [...curves.filter((c) => !lit.has(c.id)), ...curves.filter((c) => lit.has(c.id))] : curves;
  return (
    <div className="og-layer" onClick={(e) => { const id = nodeAt(e); if (id) onNodeClick?.(id); }}
      onDoubleClick={(e) => { const id = nodeAt(e); if (id) onNodeOpen?.(id); }}
      onKeyDown={(e) => { // a focused box: Space selects it, Enter opens it, as a click and a double-click do
        const id = nodeAt(e);
        if (!id || (e.key !== ' ' && e.key !== 'Enter')) return;
        e.preventDefault();
        if (e.key === 'Enter') onNodeOpen?.(id);
        else onNodeClick?.(id);
      }}>
      <svg className="og-edges" width={1} height={1} aria-hidden="true">
        <defs>
          <marker id={marker} viewBox="-10 -10 20 20" markerWidth={14} markerHeight={14} markerUnits="strokeWidth" orient="auto-start-reverse" refX={0} refY={0}>
            <polyline className="og-arrow" points="-5,-4 0,0 -5,4 -5,-4" />
          </marker>
        </defs>
        {ordered.map((c) => <Line key={c.id} curve={c} on={Boolean(lit?.has(c.id))} marker={marker} />)}
        {edgeLabels && curves.map((c) => c.label && <Label key={c.id} curve={c} />)}
      </svg>
      {nodes.map((n) => {
        const p = positionOf(positions, n.id);
        return <Box key={n.id} node={n} x={p.x} y={p.y} selected={n.id === selected} highlighted={Boolean(highlight?.nodes.has(n.id))} root={n.id === root} />;
      })}
    </div>
  );
}
