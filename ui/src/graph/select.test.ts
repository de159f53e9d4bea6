/**
 * select.ts against tests/test_selection.py's cases, on sample_dags' graph (testdata/sample_graph.json, the body of
 * GET /api/v1/graph over a catalog of sample_dags scanned with --source tempo-prod).
 *
 * With OVERLAY_GRAPH_FIXTURE and OVERLAY_SELECT_CASES set (tests/test_ui_select.py does), it also checks every
 * case Python evaluated on a freshly scanned catalog: the same keys, the same grouped view, the same error.
 */
import { describe, expect, it } from 'vitest';
import { contextOf, fnmatch, graphAnswer, pathAnswer, select, SelectionError, type StaticGraph, view } from './select';
import sample from './testdata/sample_graph.json';

// node's process and fs, without depending on node's type declarations (the bundle's tsconfig has none)
declare const process: { env: Record<string, string | undefined> };
const fs = process.env.OVERLAY_GRAPH_FIXTURE ? ((await import(/* @vite-ignore */ 'node:' + 'fs')) as { readFileSync(p: string, e: string): string }) : null;
const readJSON = (path: string): any => JSON.parse(fs!.readFileSync(path, 'utf8'));
const graph: StaticGraph = process.env.OVERLAY_GRAPH_FIXTURE ? readJSON(process.env.OVERLAY_GRAPH_FIXTURE) : (sample as StaticGraph);
const ctx = contextOf(graph);
const names = (keys: Set<string>): Set<string> => new Set([...keys].map((k) => k.slice(k.indexOf(':') + 1)));
const subset = (a: Set<string>, b: Set<string>): boolean => [...a].every((k) => b.has(k));
const sameSet = (a: Set<string>, b: Set<string>): void => expect([...a].sort()).toEqual([...b].sort());

describe('graph operators', () => {
  it('walks upstream and downstream, with depths', () => {
    sameSet(names(select('okr_dashboard', ctx)), new Set(['tempo.finance.okr_dashboard']));
    const up = names(select('+okr_dashboard', ctx));
    expect(subset(new Set(['tempo.finance.okr_dashboard', 'tempo.finance.daily_revenue', 'tempo.growth.trial_metrics_weekly', 'tempo.raw.orders']), up)).toBe(true);
    const one = names(select('1+okr_dashboard', ctx));
    expect(one.has('tempo.finance.daily_revenue') && !one.has('tempo.raw.orders')).toBe(true);
    expect(subset(one, up) && one.size < up.size).toBe(true);
    const down = names(select('raw.plays+', ctx));
    expect(down.has('tempo.growth.trial_metrics_weekly') && down.has('tempo.finance.okr_dashboard')).toBe(true);
    expect(names(select('raw.plays+1', ctx)).has('tempo.finance.okr_dashboard')).toBe(false);
    expect(subset(new Set(['tempo.finance.okr_dashboard', 'tempo.raw.plays']), names(select('2+trial_metrics_weekly+1', ctx)))).toBe(true);
  });
});

describe('methods and boolean logic', () => {
  it('matches Python', () => {
    const growth = select('dag:growth_*', ctx);
    expect(growth.has('warehouse:tempo.growth.lead_scores') && !growth.has('warehouse:tempo.finance.okr_dashboard')).toBe(true);
    expect(subset(select('tag:dashboard:marketing', ctx), growth)).toBe(true);
    sameSet(names(select('schema:raw and dag:growth_trial_metrics', ctx)), new Set(['tempo.raw.subscriptions', 'tempo.raw.users', 'tempo.raw.plays']));
    const raw = select('schema:raw', ctx);
    sameSet(select('dag:growth_* and not schema:raw', ctx), new Set([...growth].filter((k) => !raw.has(k))));
    sameSet(select('okr_dashboard lead_scores', ctx), select('okr_dashboard or lead_scores', ctx));
    sameSet(select('(dag:finance_* or dag:growth_*) and schema:finance', ctx), select('schema:finance', ctx));
    expect(select('owner:finance-data', ctx).size).toBeGreaterThan(0);
    const touched = new Set([...ctx.nodes.values()].filter((d) => d.writers.length || d.readers.length).map((d) => d.key));
    sameSet(select('source:tempo-prod', ctx), touched);
    expect(subset(select('+okr_dashboard', ctx), select('+dag:finance_revenue', ctx))).toBe(true);
    sameSet(names(select('raw.pl*', ctx)), new Set(['tempo.raw.plays', 'tempo-analytics.raw.plays']));
  });

  it('globs as fnmatch does', () => {
    expect(fnmatch('finance_revenue', 'finance_*')).toBe(true);
    expect(fnmatch('a.b', 'a?b')).toBe(true);
    expect(fnmatch('x1', 'x[0-9]')).toBe(true);
    expect(fnmatch('x1', 'x[!0-9]')).toBe(false);
    expect(fnmatch('a[b', 'a[b')).toBe(true);
    expect(fnmatch('a.b', 'a+b')).toBe(false);
  });
});

describe('bad selections say why', () => {
  it.each([
    ['', 'empty selection'], ['(okr_dashboard', "missing ')'"], ['okr_dashboard and', 'ends where'],
    ['nothing_like_this', 'no asset matches'], ['okr_dashboard )', "unexpected ')'"], ['x'.repeat(3000), 'at most'],
    ['dag:', "no asset matches 'dag:'"],
  ])('case %#', (bad, message) => {
    expect(() => select(bad, ctx)).toThrow(SelectionError);
    expect(() => select(bad, ctx)).toThrow(message);
  });
});

describe('view groups and limits', () => {
  it('groups, caps and refuses an unknown grouping', () => {
    const keys = select('+okr_dashboard', ctx);
    const flat = view(ctx, keys);
    expect(flat.selected).toBe(keys.size);
    expect(flat.nodes.length).toBe(keys.size);
    expect(flat.edges.length).toBeGreaterThan(0);
    expect(flat.edges.every((e) => keys.has(e.from) && keys.has(e.to))).toBe(true);
    const grouped = view(ctx, keys, 'dag');
    const groups = new Map(grouped.nodes.map((n) => [n.id, n]));
    expect(groups.get('finance_revenue')!.count!).toBeGreaterThanOrEqual(2);
    expect(grouped.edges.some((e) => e.from === 'growth_trial_metrics' && e.to === 'finance_revenue')).toBe(true);
    const schemas = new Set(view(ctx, keys, 'schema').nodes.map((n) => n.id));
    expect(schemas.has('warehouse:tempo.finance') && schemas.has('warehouse:tempo.raw')).toBe(true);
    const capped = view(ctx, keys, null, 2);
    expect(capped.truncated && capped.nodes.length === 2 && capped.edges.length === 0).toBe(true);
    expect(() => view(ctx, keys, 'colour')).toThrow(SelectionError);
  });

  it('answers the API routes: max_nodes groups by schema, paths follow edges', () => {
    const answer = graphAnswer(graph, { select: '+okr_dashboard', max_nodes: 3 });
    expect(answer.group_by).toBe('schema');
    expect(answer.grouped_because).toMatch(/nodes > 3$/);
    expect(() => graphAnswer(graph, { select: 'okr_dashboard and' })).toThrow("select 'okr_dashboard and': selection ends");
    const path = pathAnswer(graph, { from: 'raw.orders', to: 'okr_dashboard' });
    expect(path.nodes[0]).toBe('warehouse:tempo.raw.orders');
    expect(path.nodes[path.nodes.length - 1]).toBe('warehouse:tempo.finance.okr_dashboard');
    expect(path.edges.length).toBe(path.nodes.length - 1);
    expect(pathAnswer(graph, { from: 'okr_dashboard', to: 'raw.orders' }).nodes).toEqual(path.nodes); // only the other way exists
    expect(() => pathAnswer(graph, { from: 'okr_dashboard', to: 'lead_scores' })).toThrow('no path');
  });
});

interface Case { expression: string; group_by: string | null; keys?: string[]; view?: unknown; error?: string }

describe.runIf(Boolean(process.env.OVERLAY_SELECT_CASES))('the same answers as overlay/selection.py', () => {
  const cases: Case[] = process.env.OVERLAY_SELECT_CASES ? readJSON(process.env.OVERLAY_SELECT_CASES) : [];
  it.each(cases.map((c) => [`${c.expression} / ${c.group_by}`, c] as const))('%s', (_, c) => {
    if (c.error !== undefined) {
      expect(() => select(c.expression, ctx)).toThrow(c.error);
      return;
    }
    const keys = select(c.expression, ctx);
    expect([...keys].sort()).toEqual(c.keys);
    expect(JSON.parse(JSON.stringify(view(ctx, keys, c.group_by)))).toEqual(c.view);
  });
});
