/**
 * The drawn graph: @xyflow/react over positions from layout.ts (ELK or the fast layered layout, in a Web Worker).
 * Read-only: click a node to select it, double-click to open it (a group expands). Nodes are styled by kind
 * (table, group, a group's member); edge labels (the tasks) are off unless `edgeLabels`. When the layout is
 * applied and every node is measured, the container says data-graph-state="drawn" (the browser tests and the
 * benchmark wait for it) with the layout's engine and time.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  Background, Controls, Handle, MarkerType, MiniMap, Position, ReactFlow, ReactFlowProvider, useNodesInitialized, useNodesState, useReactFlow,
  type Edge, type Node, type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import './graph.css';
import { layoutGraph, type Layout } from './layout';

export type NodeKind = 'table' | 'group' | 'member';
export interface GraphNode { id: string; label: string; sublabel?: string; kind: NodeKind; count?: number; expanded?: boolean }
export interface GraphEdge { from: string; to: string; label?: string; count?: number }

interface Props {
  nodes: GraphNode[];
  edges: GraphEdge[];
  selected?: string | null;
  highlight?: { nodes: Set<string>; edges: Set<string> } | null;
  root?: string | null;
  edgeLabels?: boolean;
  height?: number | string;
  onNodeClick?: (id: string) => void;
  onNodeOpen?: (id: string) => void;
  onDrawn?: (info: { nodes: number; edges: number; layout: Layout }) => void;
}

const SIZE: Record<NodeKind, { width: number; height: number }> = {
  table: { width: 220, height: 48 },
  member: { width: 220, height: 48 },
  group: { width: 240, height: 60 },
};

type Data = GraphNode & { highlighted: boolean; root: boolean; [key: string]: unknown };

const AssetBox = memo(function AssetBox({ data, selected }: NodeProps<Node<Data>>) {
  const cls = ['og-node', `og-${data.kind}`, selected ? 'og-selected' : '', data.highlighted ? 'og-path' : '', data.root ? 'og-root' : '']
    .filter(Boolean).join(' ');
  return (
    <div className={cls} title={data.id} data-node-id={data.id} data-kind={data.kind}>
      <Handle type="target" position={Position.Left} className="og-handle" isConnectable={false} />
      <div className="og-label">{data.kind === 'group' && <span className="og-toggle">{data.expanded ? '−' : '+'}</span>}{data.label}</div>
      <div className="og-sub">{data.kind === 'group' ? `${data.count ?? 0} asset${data.count === 1 ? '' : 's'}${data.sublabel ? ` · ${data.sublabel}` : ''}` : data.sublabel}</div>
      <Handle type="source" position={Position.Right} className="og-handle" isConnectable={false} />
    </div>
  );
});

const nodeTypes = { box: AssetBox };

export function edgeId(from: string, to: string): string {
  return `${from}\u2192${to}`;
}

export function GraphView(props: Props) {
  return (
    <ReactFlowProvider>
      <Inner {...props} />
    </ReactFlowProvider>
  );
}

function Inner({ nodes, edges, selected, highlight, root, edgeLabels = false, height = 560, onNodeClick, onNodeOpen, onDrawn }: Props) {
  const [layout, setLayout] = useState<{ key: string; layout: Layout } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shape = useMemo(() => {
    const ids = new Set(nodes.map((n) => n.id));
    return {
      ids,
      nodes: nodes.map((n) => ({ id: n.id, ...SIZE[n.kind] })),
      edges: edges.filter((e) => ids.has(e.from) && ids.has(e.to)).map((e) => ({ source: e.from, target: e.to })),
      key: `${nodes.map((n) => `${n.id}/${n.kind}`).sort().join('|')}#${edges.map((e) => edgeId(e.from, e.to)).sort().join('|')}`,
    };
  }, [nodes, edges]);

  useEffect(() => {
    let live = true;
    setError(null);
    layoutGraph(shape.nodes, shape.edges).then(
      (l) => live && setLayout({ key: shape.key, layout: l }),
      (e) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => { live = false; };
  }, [shape]);

  const ready = layout !== null && layout.key === shape.key;
  const flowNodes: Node<Data>[] = useMemo(() => {
    if (!ready) return [];
    return nodes.map((n) => ({
      id: n.id, type: 'box', position: layout!.layout.positions[n.id] ?? { x: 0, y: 0 }, ...SIZE[n.kind],
      data: { ...n, highlighted: Boolean(highlight?.nodes.has(n.id)), root: n.id === root },
      selected: n.id === selected, draggable: false, connectable: false,
    }));
  }, [ready, layout, nodes, highlight, root, selected]);
  // xyflow keeps each node's measured size in the nodes it is given back: controlled through useNodesState
  const [shown, setShown, onNodesChange] = useNodesState<Node<Data>>([]);
  useEffect(() => setShown(flowNodes), [flowNodes, setShown]);
  const flowEdges: Edge[] = useMemo(() => {
    if (!ready) return [];
    const ids = new Set(nodes.map((n) => n.id));
    return edges.filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to).map((e) => {
      const id = edgeId(e.from, e.to);
      const on = Boolean(highlight?.edges.has(id));
      return {
        id, source: e.from, target: e.to, className: on ? 'og-edge-path' : undefined, animated: on, zIndex: on ? 1 : 0,
        label: edgeLabels ? e.label : undefined, markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14 },
      };
    });
  }, [ready, nodes, edges, highlight, edgeLabels]);

  const [drawnKey, setDrawnKey] = useState<string | null>(null);
  const report = useRef(onDrawn);
  report.current = onDrawn;
  const counts = useRef({ nodes: 0, edges: 0, layout: null as Layout | null });
  counts.current = { nodes: flowNodes.length, edges: flowEdges.length, layout: layout?.layout ?? null };
  const markDrawn = useCallback((key: string) => {
    setDrawnKey(key);
    const c = counts.current;
    if (c.layout) report.current?.({ nodes: c.nodes, edges: c.edges, layout: c.layout });
  }, []);
  const state = drawnKey === shape.key && ready ? 'drawn' : ready ? 'laid-out' : 'layout';
  const big = nodes.length > 300;
  return (
    <div className="og-graph" style={{ height }} data-graph-state={state} data-node-count={nodes.length} data-edge-count={flowEdges.length}
      data-layout-engine={ready ? layout!.layout.engine : undefined} data-layout-where={ready ? layout!.layout.where : undefined}
      data-layout-ms={ready ? layout!.layout.ms.toFixed(0) : undefined}>
      {error && <div className="error" role="alert">Could not lay out the graph: {error}</div>}
      {!ready && !error && <div className="loading og-overlay">Laying out {nodes.length} node{nodes.length === 1 ? '' : 's'}…</div>}
      <ReactFlow
        nodes={shown}
        edges={flowEdges}
        onNodesChange={onNodesChange}
        nodeTypes={nodeTypes}
        nodesDraggable={false}
        nodesConnectable={false}
        edgesFocusable={false}
        elementsSelectable
        minZoom={0.02}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_, n) => onNodeClick?.(n.id)}
        onNodeDoubleClick={(_, n) => onNodeOpen?.(n.id)}
      >
        <Background gap={24} />
        <Controls showInteractive={false} />
        {!big && nodes.length > 12 && <MiniMap pannable zoomable />}
        {ready && <Drawn layoutKey={shape.key} ids={shape.ids} onDone={markDrawn} />}
      </ReactFlow>
    </div>
  );
}

/** Fits the view once a new layout's nodes are measured, then (next frame: painted) reports the graph drawn. */
function Drawn({ layoutKey, ids, onDone }: { layoutKey: string; ids: Set<string>; onDone: (key: string) => void }) {
  const initialized = useNodesInitialized();
  const flow = useReactFlow();
  const done = useRef<string | null>(null);
  useEffect(() => {
    if (done.current === layoutKey) return;
    let frame = 0;
    let tries = 0;
    const check = (): void => {
      const current = flow.getNodes(); // this layout's nodes, each measured (not the previous graph's)
      if (current.length !== ids.size || current.some((n) => !ids.has(n.id) || !n.measured?.width)) {
        if (++tries < 600) frame = requestAnimationFrame(check);
        return;
      }
      void flow.fitView({ padding: 0.08, duration: 0 });
      frame = requestAnimationFrame(() => {
        frame = requestAnimationFrame(() => { // the fitted view painted
          done.current = layoutKey;
          onDone(layoutKey);
        });
      });
    };
    check();
    return () => cancelAnimationFrame(frame);
  }, [initialized, layoutKey, ids, flow, onDone]);
  return null;
}
