/**
 * Layout off the main thread: requests go to the layout Web Worker; where a Worker cannot start (file://, a
 * content policy), the worker's own script is loaded into the page once and lays out there (same code, same
 * positions). Results are cached by the graph's shape, so re-rendering the same graph does no layout at all.
 */
import workerUrl from './layout.worker.ts?worker&url';
import type { LayoutEdge, LayoutNode, Positions } from './layered';
import type { LayoutRequest, LayoutResult } from './layoutEngine';

export type { LayoutEdge, LayoutNode, Positions };
export interface Layout { positions: Positions; engine: string; ms: number; where: 'worker' | 'page' }

let worker: Worker | null | undefined; // undefined: not tried yet; null: cannot start
let nextId = 1;
const waiting = new Map<number, { request: LayoutRequest; resolve: (r: LayoutResult) => void }>();
const cache = new Map<string, Layout>();
let pageScript: Promise<void> | null = null;

function startWorker(): Worker | null {
  try {
    const w = new Worker(workerUrl);
    w.onmessage = (e: MessageEvent<LayoutResult>) => {
      const job = waiting.get(e.data.id);
      waiting.delete(e.data.id);
      job?.resolve(e.data);
    };
    w.onerror = (e) => {
      e.preventDefault();
      worker = null; // it did not load: everything waiting is laid out in the page
      w.terminate();
      const jobs = [...waiting.values()];
      waiting.clear();
      for (const job of jobs) inPage(job.request).then(job.resolve);
    };
    return w;
  } catch {
    return null;
  }
}

function loadPageScript(): Promise<void> {
  pageScript ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = workerUrl;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`cannot load the layout script ${workerUrl}`));
    document.head.appendChild(script);
  });
  return pageScript;
}

async function inPage(request: LayoutRequest): Promise<LayoutResult> {
  try {
    await loadPageScript();
    if (!window.overlayLayout) throw new Error('the layout script did not register itself');
    return { ...(await window.overlayLayout(request)), where: 'page' } as LayoutResult;
  } catch (e) {
    return { id: request.id, error: e instanceof Error ? e.message : String(e) };
  }
}

function shapeKey(nodes: LayoutNode[], edges: LayoutEdge[]): string {
  const n = nodes.map((x) => `${x.id}|${x.width}|${x.height}`).sort();
  const e = edges.map((x) => `${x.source}>${x.target}`).sort();
  return `${n.join('\n')}\n--\n${e.join('\n')}`;
}

/** Starts the layout worker now (a page that will draw calls it while its data is on the way); once per page. */
export function startLayout(): void {
  if (worker === undefined) worker = typeof Worker === 'undefined' ? null : startWorker();
}

/** Positions (top-left corners) for the nodes; the same graph always gets the same ones. */
export async function layoutGraph(nodes: LayoutNode[], edges: LayoutEdge[]): Promise<Layout> {
  const key = shapeKey(nodes, edges);
  const hit = cache.get(key);
  if (hit) return hit;
  const request: LayoutRequest = { id: nextId++, nodes, edges };
  startLayout();
  const where = worker ? 'worker' : 'page';
  const result: LayoutResult & { where?: string } = worker
    ? await new Promise((resolve) => {
      waiting.set(request.id, { request, resolve });
      worker!.postMessage(request);
    })
    : await inPage(request);
  if (result.error || !result.positions) throw new Error(`layout failed: ${result.error ?? 'no positions'}`);
  const layout: Layout = { positions: result.positions, engine: result.engine ?? '?', ms: result.ms ?? 0,
    where: (result.where as Layout['where']) ?? where };
  if (cache.size > 50) cache.clear();
  cache.set(key, layout);
  return layout;
}
