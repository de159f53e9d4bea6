/**
 * The lineage explorer (#/lineage?select=&group_by=&path_from=&path_to=): the global asset graph through the
 * selection grammar of `overlay lineage --select`, sent to GET /api/v1/graph (the server selects and groups; the
 * static export answers it with select.ts). Groups (DAG, schema, owner, source) collapse and expand; a click opens
 * a node's panel; a path between two assets is highlighted (GET /api/v1/graph/path, else a breadth-first search over
 * the loaded graph). Above NODE_LIMIT drawn nodes it shows groups or a list, and says so, instead of freezing.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { getJSON } from '../data/client';
import { useData } from '../data/useData';
import { count } from '../format';
import { href, navigate } from '../router';
import { Status } from '../components/Status';
import { GraphView } from './GraphView';
import { startLayout } from './layout';
import { bfsPath, compose, NODE_LIMIT, pathHighlight, shortName } from './compose';
import type { GraphView as Answer } from './select';
import './static';

const GROUPINGS: [string, string][] = [['', 'no grouping'], ['dag', 'DAG'], ['schema', 'schema'], ['owner', 'owner'], ['source', 'source']];
const EXAMPLES = ['+okr_dashboard', 'raw.plays+', '2+trial_metrics_weekly+1', 'owner:growth', 'dag:finance_*', 'tag:team:growth', 'schema:raw and not dag:growth_*'];
const FETCH_LIMIT = 5000;
const NONE: Set<string> = new Set();

interface PathState { keys: string[] | null; error: string | null; where: 'server' | 'browser' | null }

export function LineageExplorer({ query }: { query: URLSearchParams }) {
  const select = query.get('select') ?? '';
  const groupBy = query.get('group_by') ?? '';
  const pathFrom = query.get('path_from') ?? '';
  const pathTo = query.get('path_to') ?? '';
  const [draft, setDraft] = useState(select);
  const [from, setFrom] = useState(pathFrom);
  const [to, setTo] = useState(pathTo);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [picked, setPicked] = useState<string | null>(null);
  const [labels, setLabels] = useState(false);
  const [asList, setAsList] = useState(false);
  useEffect(() => setDraft(select), [select]);
  useEffect(() => { setFrom(pathFrom); setTo(pathTo); }, [pathFrom, pathTo]);
  useEffect(() => { setExpanded(new Set()); setPicked(null); setAsList(false); }, [select, groupBy]);

  useEffect(startLayout, []); // the worker boots while the graph is asked for
  const go = (q: { select?: string; group_by?: string; path_from?: string; path_to?: string }): void =>
    navigate(href.lineage({ select, group_by: groupBy, path_from: pathFrom, path_to: pathTo, ...q }));

  const main = useData<Answer>(select ? '/api/v1/graph' : null,
    { select, group_by: groupBy || undefined, max_nodes: NODE_LIMIT, limit: FETCH_LIMIT });
  const answer = main.data;
  // the flat selection, for a grouped view's expanded groups and for paths in the browser
  const needFlat = Boolean(answer && answer.group_by && (expanded.size > 0 || (pathFrom && pathTo)) && answer.selected <= FETCH_LIMIT);
  const flatState = useData<Answer>(needFlat ? '/api/v1/graph' : null, { select, limit: FETCH_LIMIT, max_nodes: FETCH_LIMIT });
  const flat = answer && !answer.group_by ? answer : flatState.data;

  // a group opens once its members' links are loaded: drawn before, its members would be laid out without edges and
  // then laid out again when the links come (a second layout, the graph jumping under the pointer)
  const linksPending = needFlat && !flatState.data && !flatState.error;
  const shown = linksPending ? NONE : expanded;
  const drawing = useMemo(() => (answer ? compose(answer, shown, flat && flat !== answer ? flat : null) : null), [answer, shown, flat]);
  const tooMany = Boolean(drawing && drawing.nodes.length > NODE_LIMIT);
  const path = usePath(pathFrom, pathTo, flat);
  const highlight = useMemo(() => (path.keys && drawing ? pathHighlight(path.keys, drawing) : null), [path.keys, drawing]);

  const toggle = useCallback((id: string) => {
    setExpanded((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);
  const groupIds = useMemo(() => new Set(answer?.group_by ? answer.nodes.map((n) => n.id) : []), [answer]);
  const open = useCallback((id: string) => (groupIds.has(id) ? toggle(id) : navigate(href.asset(id))), [groupIds, toggle]);

  return (
    <section className="page og-page">
      <h1>Lineage</h1>
      <form className="og-controls" onSubmit={(e) => { e.preventDefault(); go({ select: draft.trim() }); }}>
        <input className="og-select-input" aria-label="Selection" name="select" value={draft} placeholder="+okr_dashboard and not schema:raw"
          onChange={(e) => setDraft(e.target.value)} spellCheck={false} autoComplete="off" />
        <select aria-label="Group by" value={groupBy} onChange={(e) => go({ select: draft.trim() || select, group_by: e.target.value })}>
          {GROUPINGS.map(([v, label]) => <option key={v} value={v}>{v ? `group by ${label}` : label}</option>)}
        </select>
        <button type="submit" className="primary">Show</button>
        <label className="muted"><input type="checkbox" checked={labels} onChange={(e) => setLabels(e.target.checked)} /> edge labels</label>
      </form>
      <form className="og-controls" onSubmit={(e) => { e.preventDefault(); go({ path_from: from.trim(), path_to: to.trim() }); }}>
        <span className="muted">Path</span>
        <input aria-label="Path from" name="path_from" value={from} placeholder="from (key or name)" onChange={(e) => setFrom(e.target.value)} />
        <span className="muted">→</span>
        <input aria-label="Path to" name="path_to" value={to} placeholder="to" onChange={(e) => setTo(e.target.value)} />
        <button type="submit">Highlight path</button>
        {(pathFrom || pathTo) && <button type="button" onClick={() => go({ path_from: '', path_to: '' })}>Clear path</button>}
      </form>
      {!select && <Help onPick={(s) => go({ select: s })} />}
      {select && (
        <Status state={main}>
          {answer && drawing && (
            <>
              <Summary answer={answer} drawn={drawing.nodes.length} links={drawing.edges.length} />
              {answer.grouped_because && (
                <div className="og-notice" role="status">
                  Grouped by schema because the selection is too big to draw ({answer.grouped_because}).
                  Expand a group, group another way, or narrow the selection.
                </div>
              )}
              {answer.truncated && (
                <div className="og-notice" role="status">
                  {count(answer.selected)} assets selected: more than {count(FETCH_LIMIT)} answered; showing the first ones as a list.
                  Group them or narrow the selection.
                </div>
              )}
              {tooMany && !answer.truncated && (
                <div className="og-notice" role="status">
                  {count(drawing.nodes.length)} nodes: more than {count(NODE_LIMIT)} to draw, so they are listed instead.
                  {!answer.group_by && <> <button type="button" onClick={() => go({ group_by: 'schema' })}>Group by schema</button>{' '}
                    <button type="button" onClick={() => go({ group_by: 'dag' })}>Group by DAG</button></>}
                </div>
              )}
              <PathLine path={path} missing={highlight?.missing ?? 0} onShow={(keys) => go({ select: keys.join(' '), group_by: '' })} />
              {!tooMany && !answer.truncated && !asList && drawing.nodes.length > 0 && (
                <div className="og-explorer">
                  <GraphView nodes={drawing.nodes} edges={drawing.edges} selected={picked} highlight={highlight} edgeLabels={labels}
                    height="calc(100vh - 260px)" onNodeClick={setPicked} onNodeOpen={open} />
                  {!picked && <aside className="og-panel muted">Click a node for its details; double-click a group to expand it, an asset to open its page.</aside>}
                  {picked && (
                    <Panel id={picked} answer={answer} flat={flat} expanded={expanded} onToggle={toggle} onClose={() => setPicked(null)}
                      onPath={(side) => go(side === 'from' ? { path_from: picked, path_to: pathTo } : { path_from: pathFrom, path_to: picked })}
                      onSelect={(s) => go({ select: s, group_by: '' })} />
                  )}
                </div>
              )}
              {(tooMany || answer.truncated || asList) && <NodeList answer={answer} />}
              {!tooMany && !answer.truncated && drawing.nodes.length > 0 && (
                <p className="muted"><button type="button" className="og-link" onClick={() => setAsList(!asList)}>{asList ? 'Show the graph' : 'Show as a list'}</button></p>
              )}
            </>
          )}
        </Status>
      )}
    </section>
  );
}

function usePath(from: string, to: string, flat: Answer | null): PathState {
  const [state, setState] = useState<PathState>({ keys: null, error: null, where: null });
  useEffect(() => {
    if (!from || !to) {
      setState({ keys: null, error: null, where: null });
      return;
    }
    let live = true;
    getJSON('/api/v1/graph/path', { from, to }).then(
      (body) => live && setState({ keys: body.nodes, error: null, where: 'server' }),
      (e: Error & { status?: number }) => {
        if (!live) return;
        // no route yet (an older server) or no path on the server: look in the graph loaded here
        const resolve = (k: string): string => flat?.nodes.find((n) => n.id === k || n.name === k || n.name?.endsWith(`.${k}`))?.id ?? k;
        const keys = flat ? bfsPath(flat.edges, resolve(from), resolve(to)) : null;
        setState(keys ? { keys, error: null, where: 'browser' } : { keys: null, error: e.message || `no path between ${from} and ${to}`, where: null });
      },
    );
    return () => { live = false; };
  }, [from, to, flat]);
  return state;
}

function PathLine({ path, missing, onShow }: { path: PathState; missing: number; onShow: (keys: string[]) => void }) {
  if (path.error) return <div className="og-notice" role="status">Path: {path.error}</div>;
  if (!path.keys) return null;
  return (
    <div className="og-path-line" data-path-length={path.keys.length}>
      <strong>Path</strong> ({path.keys.length - 1} step{path.keys.length === 2 ? '' : 's'}{path.where === 'browser' ? ', found in the loaded graph' : ''}):{' '}
      {path.keys.map((k, i) => <span key={k}>{i > 0 && ' → '}<a href={href.asset(k)}>{shortName(k)}</a></span>)}
      {missing > 0 && <> · {missing} of its assets are outside this selection <button type="button" onClick={() => onShow(path.keys!)}>Show the path</button></>}
    </div>
  );
}

function Summary({ answer, drawn, links }: { answer: Answer; drawn: number; links: number }) {
  const groups = answer.group_by ? `${answer.nodes.length} group${answer.nodes.length === 1 ? '' : 's'} by ${answer.group_by}, ` : '';
  return (
    <p className="og-summary" data-selected={answer.selected}>
      {count(answer.selected)} asset{answer.selected === 1 ? '' : 's'} selected · {groups}{count(drawn)} node{drawn === 1 ? '' : 's'} and {count(links)} link{links === 1 ? '' : 's'}
    </p>
  );
}

function Help({ onPick }: { onPick: (s: string) => void }) {
  return (
    <div className="og-help">
      <p>Type a selection and press Show. The grammar is the one of <code>overlay lineage --select</code>:</p>
      <ul>
        <li><code>+key</code> the asset and everything upstream, <code>key+</code> downstream, <code>2+key+1</code> two hops up and one down</li>
        <li><code>owner:growth</code>, <code>dag:finance_*</code>, <code>tag:…</code>, <code>source:…</code>, <code>schema:raw</code></li>
        <li><code>and</code>, <code>or</code> (or a space), <code>not</code>, parentheses; a key is any dotted suffix of a name, or a glob</li>
      </ul>
      <p>Examples: {EXAMPLES.map((s, i) => <span key={s}>{i > 0 && ' · '}<button type="button" className="og-link" onClick={() => onPick(s)}><code>{s}</code></button></span>)}</p>
    </div>
  );
}

function NodeList({ answer }: { answer: Answer }) {
  const rows = answer.nodes.slice(0, 500);
  return (
    <table className="og-list" aria-label="Selected nodes">
      <thead><tr><th>{answer.group_by ? `Group (${answer.group_by})` : 'Asset'}</th><th>{answer.group_by ? 'Assets' : 'Producers · consumers'}</th></tr></thead>
      <tbody>
        {rows.map((n) => (
          <tr key={n.id}>
            <td>{n.group ? n.id : <a href={href.asset(n.id)}>{n.id}</a>}</td>
            <td>{n.group ? n.count : `${n.producers?.length ?? 0} · ${n.consumers?.length ?? 0}`}</td>
          </tr>
        ))}
        {answer.nodes.length > rows.length && <tr><td colSpan={2} className="muted">… and {count(answer.nodes.length - rows.length)} more</td></tr>}
      </tbody>
    </table>
  );
}

interface PanelProps {
  id: string;
  answer: Answer;
  flat: Answer | null;
  expanded: Set<string>;
  onToggle: (id: string) => void;
  onClose: () => void;
  onPath: (side: 'from' | 'to') => void;
  onSelect: (selection: string) => void;
}

function Panel({ id, answer, flat, expanded, onToggle, onClose, onPath, onSelect }: PanelProps) {
  const group = answer.group_by ? answer.nodes.find((n) => n.id === id) : undefined;
  if (group) {
    return (
      <aside className="og-panel" aria-label="Node details" data-panel-for={id}>
        <h2>{id}</h2>
        <div className="muted">Group by {answer.group_by}: {group.count} asset{group.count === 1 ? '' : 's'}</div>
        <div className="og-actions">
          <button type="button" onClick={() => onToggle(id)}>{expanded.has(id) ? 'Collapse' : 'Expand'}</button>
          <button type="button" onClick={onClose}>Close</button>
        </div>
        <h3>Assets{(group.members?.length ?? 0) < (group.count ?? 0) ? ` (first ${group.members?.length})` : ''}</h3>
        <ul>{(group.members ?? []).map((m) => <li key={m}><a href={href.asset(m)}>{m}</a></li>)}</ul>
      </aside>
    );
  }
  return <AssetPanel id={id} node={flat?.nodes.find((n) => n.id === id)} onClose={onClose} onPath={onPath} onSelect={onSelect} />;
}

function AssetPanel({ id, node, onClose, onPath, onSelect }: { id: string; node?: Answer['nodes'][number]; onClose: () => void;
  onPath: (side: 'from' | 'to') => void; onSelect: (s: string) => void }) {
  const detail = useData<any>(`/api/v1/assets/${encodeURIComponent(id)}`);
  const producers: string[] = node?.producers ?? (detail.data?.producers ?? []).map((p: any) => p.task);
  const consumers: string[] = node?.consumers ?? (detail.data?.consumers ?? []).map((p: any) => p.task);
  const owners: string[] = detail.data?.owners ?? [];
  return (
    <aside className="og-panel" aria-label="Node details" data-panel-for={id}>
      <h2>{node?.name ?? id}</h2>
      <div className="muted">{id}</div>
      <div className="og-actions">
        <a href={href.asset(id)} className="og-open">Open asset page</a>
        <button type="button" onClick={() => onSelect(`+${id}+`)}>Its whole lineage</button>
        <button type="button" onClick={() => onPath('from')}>Path from here</button>
        <button type="button" onClick={() => onPath('to')}>Path to here</button>
        <button type="button" onClick={onClose}>Close</button>
      </div>
      <h3>Producers</h3>
      <TaskList refs={producers} />
      <h3>Consumers</h3>
      <TaskList refs={consumers} />
      <h3>Owners</h3>
      {detail.loading && !detail.data ? <div className="loading">Loading…</div>
        : owners.length ? <ul>{owners.map((o) => <li key={o}>{o}</li>)}</ul> : <div className="muted">{detail.error ? 'unknown' : 'no owner known'}</div>}
      {detail.data?.owner_conflict && <div className="og-notice">Tasks of different owners write it.</div>}
    </aside>
  );
}

function TaskList({ refs }: { refs: string[] }) {
  if (!refs.length) return <div className="muted">none known</div>;
  return (
    <ul>
      {refs.map((r) => {
        const i = r.indexOf('.');
        return <li key={r}>{i > 0 ? <a href={href.task(r.slice(0, i), r.slice(i + 1))}>{r}</a> : r}</li>;
      })}
    </ul>
  );
}
