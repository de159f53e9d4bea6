/**
 * The upstream/downstream neighbourhood of one asset, for the asset page: `<Neighbourhood assetKey="…" />`.
 * Asks GET /api/v1/graph?select=D+KEY+D (the static export answers it too); when the key cannot be written in the
 * grammar (a space, a '+', a parenthesis), the lineage route instead. Click a node to open its asset page.
 */
import { useEffect, useMemo } from 'react';
import { useData } from '../data/useData';
import { href, navigate } from '../router';
import { Status } from '../components/Status';
import { GraphView } from './GraphView';
import { startLayout } from './layout';
import { compose, tableNode } from './compose';
import type { GraphView as Answer } from './select';
import './static';

const SAFE = /^[^\s()+]+$/;

export function Neighbourhood({ assetKey, depth = 2, height = 340 }: { assetKey: string; depth?: number; height?: number }) {
  useEffect(startLayout, []); // the worker boots while the graph is asked for
  const selection = `${depth}+${assetKey}+${depth}`;
  const bySelect = SAFE.test(assetKey);
  const selected = useData<Answer>(bySelect ? '/api/v1/graph' : null, { select: selection, limit: 500 });
  const lineage = useData<any>(bySelect ? null : `/api/v1/assets/${encodeURIComponent(assetKey)}/lineage`, { depth, direction: 'both' });
  const state = bySelect ? selected : lineage;
  const drawing = useMemo(() => {
    if (bySelect) return selected.data ? compose(selected.data, new Set(), null) : null;
    if (!lineage.data) return null;
    const nodes = (lineage.data.nodes ?? []).map((n: any) => tableNode({ id: n.key, namespace: n.namespace, name: n.name }));
    const seen = new Set<string>();
    const edges = (lineage.data.edges ?? []).filter((e: any) => !seen.has(`${e.from}>${e.to}`) && seen.add(`${e.from}>${e.to}`))
      .map((e: any) => ({ from: e.from, to: e.to, label: e.via }));
    return { nodes, edges, display: (k: string) => k };
  }, [bySelect, selected.data, lineage.data]);
  const root = useMemo(() => drawing?.nodes.find((n: { id: string }) => n.id === assetKey || n.id.endsWith(`:${assetKey}`))?.id ?? assetKey, [drawing, assetKey]);
  return (
    <div className="og-neighbourhood" data-asset={assetKey}>
      <Status state={state}>
        {drawing && drawing.nodes.length > 1 && (
          <GraphView nodes={drawing.nodes} edges={drawing.edges} root={root} selected={root} height={height}
            onNodeClick={(id) => id !== root && navigate(href.asset(id))} />
        )}
        {drawing && drawing.nodes.length <= 1 && <p className="muted">Nothing upstream or downstream is known.</p>}
        <p className="muted">
          {depth} steps each way · <a href={href.lineage({ select: bySelect ? selection : `+${assetKey}+` })}>Open in the lineage explorer</a>
        </p>
      </Status>
    </div>
  );
}
