// The one way pages read data: getJSON("/api/v1/...", params).
//
// Two modes, chosen by the runtime config in index.html (<script id="overlay-config">):
// - api: fetch `${config.api}${path without /api/v1}?params`, same-origin credentials (Airflow's session cookie
//   inside the plugin); on 401 ask for a token once, keep it in sessionStorage, send `Authorization: Bearer`.
// - static (overlay export --format html): no fetch; answers from window.OVERLAY_STATIC, loaded from
//   data/catalog.js beside index.html when the page did not load it already.
//   Lookup: responses["<path>?<query sorted by name>"], then responses["<path>"]; /api/v1/assets from `assets`
//   (client-side token ranking); /api/v1/graph with select/group_by and /api/v1/graph/path from `graph` through the
//   resolver the graph module registers (registerStaticGraph); anything else: "not in this static export".

export type Mode = "api" | "static";
export interface Config {
  mode: Mode;
  api: string;
  airflow: string | null;
}
export type Params = Record<string, string | number | boolean | undefined | null>;

export class ApiError extends Error {
  status: number;
  body: unknown;
  constructor(message: string, status: number, body?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

let cached: Config | null = null;

export function config(): Config {
  if (cached) return cached;
  let raw: Partial<Config> = {};
  const el = typeof document !== "undefined" ? document.getElementById("overlay-config") : null;
  if (el && el.textContent && el.textContent.trim()) {
    try {
      raw = JSON.parse(el.textContent);
    } catch {
      raw = {};
    }
  }
  const api = (raw.api ?? "api/v1").replace(/\/+$/, "");
  cached = { mode: raw.mode === "static" ? "static" : "api", api, airflow: raw.airflow ? String(raw.airflow).replace(/\/+$/, "") : null };
  return cached;
}

/** `name=value&...` with the parameters sorted by name, undefined/null/"" left out (the static export's key order). */
export function queryString(params?: Params): string {
  if (!params) return "";
  const entries = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => [k, String(v)] as [string, string])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new URLSearchParams(entries).toString();
}

export async function getJSON(path: string, params?: Params, options: { signal?: AbortSignal } = {}): Promise<any> {
  if (!path.startsWith("/api/v1")) throw new Error(`getJSON: path must start with /api/v1 (got ${path})`);
  return config().mode === "static" ? staticAnswer(path, params) : apiFetch(path, params, options.signal);
}

// ---- api mode ----

const TOKEN_KEY = "overlay-api-token";
let tokenAsked: Promise<string | null> | null = null;

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function askToken(): Promise<string | null> {
  // once per page: concurrent 401s share one question
  if (!tokenAsked) {
    tokenAsked = Promise.resolve().then(() => {
      const given = window.prompt("This overlay API needs a token (OVERLAY_API_TOKEN). Token:");
      if (given && given.trim()) {
        try {
          sessionStorage.setItem(TOKEN_KEY, given.trim());
        } catch {
          /* private mode: keep it for this request only */
        }
        return given.trim();
      }
      return null;
    });
  }
  return tokenAsked;
}

async function apiFetch(path: string, params: Params | undefined, signal?: AbortSignal): Promise<any> {
  const qs = queryString(params);
  const url = `${config().api}${path.slice("/api/v1".length)}${qs ? `?${qs}` : ""}`;
  const send = (token: string | null) =>
    fetch(url, {
      credentials: "same-origin",
      signal,
      headers: token ? { Authorization: `Bearer ${token}`, Accept: "application/json" } : { Accept: "application/json" },
    });
  let response = await send(storedToken());
  if (response.status === 401 && !signal?.aborted) {
    const token = await askToken();
    if (token) response = await send(token);
  }
  const text = await response.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && typeof body.error === "string" ? body.error : `HTTP ${response.status} from ${path}`;
    throw new ApiError(message, response.status, body);
  }
  if (body === null && text) throw new ApiError(`not JSON from ${path}`, response.status);
  return body;
}

// ---- static mode ----

export interface StaticData {
  responses: Record<string, unknown>;
  assets: any[];
  graph: any;
  generated_at?: string;
}
type GraphResolver = (path: string, params: Record<string, string>, graph: any) => unknown;

let graphResolver: GraphResolver | null = null;
/** The graph module registers how /api/v1/graph?select= and /api/v1/graph/path are answered from the whole graph. */
export function registerStaticGraph(resolver: GraphResolver): void {
  graphResolver = resolver;
}

declare global {
  interface Window {
    OVERLAY_STATIC?: StaticData;
  }
}

let loading: Promise<StaticData> | null = null;

function staticData(): Promise<StaticData> {
  if (window.OVERLAY_STATIC) return Promise.resolve(window.OVERLAY_STATIC);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "data/catalog.js"; // a classic script: loads under file:// too
      script.onload = () =>
        window.OVERLAY_STATIC ? resolve(window.OVERLAY_STATIC) : reject(new ApiError("data/catalog.js did not define the catalog", 500));
      script.onerror = () => reject(new ApiError("cannot load data/catalog.js beside index.html", 500));
      document.head.appendChild(script);
    });
  }
  return loading;
}

function plain(params?: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== null && v !== "") out[k] = String(v);
  return out;
}

async function staticAnswer(path: string, params?: Params): Promise<any> {
  const data = await staticData();
  const p = plain(params);
  const qs = queryString(p);
  if (qs && Object.prototype.hasOwnProperty.call(data.responses, `${path}?${qs}`)) return data.responses[`${path}?${qs}`];
  if (path === "/api/v1/assets") return searchAssets(data.assets, p);
  if ((path === "/api/v1/graph" && (p.select || p.group_by)) || path === "/api/v1/graph/path") {
    if (!graphResolver) throw new ApiError("the graph is not available in this static export", 404);
    return graphResolver(path, p, data.graph);
  }
  if (path === "/api/v1/graph" && data.graph) return data.graph;
  if (Object.prototype.hasOwnProperty.call(data.responses, path)) return data.responses[path];
  throw new ApiError(`${path} is not in this static export`, 404);
}

/** Search over the exported asset list: every token must occur in the key, owners or tags; better matches first. */
export function searchAssets(assets: any[], p: Record<string, string>): any {
  const limit = Math.max(1, Math.min(1000, Number(p.limit ?? 100) || 100));
  const offset = Math.max(0, Number(p.offset ?? 0) || 0);
  const tokens = (p.search ?? "").toLowerCase().split(/[\s._:/-]+/).filter(Boolean);
  const owner = (p.owner ?? "").toLowerCase();
  const scored: [number, any][] = [];
  for (const a of assets) {
    const owners: string[] = a.owners ?? [];
    if (owner && !owners.some((o) => o.toLowerCase().includes(owner))) continue;
    if (p.source && a.source && a.source !== p.source) continue;
    const key = String(a.key).toLowerCase();
    const table = key.split(/[.:/]/).pop() ?? key;
    const hay = [key, ...owners.map((o) => o.toLowerCase()), ...((a.tags ?? []) as string[]).map((t) => t.toLowerCase())].join(" ");
    let score = 0;
    let all = true;
    for (const t of tokens) {
      if (!hay.includes(t)) {
        all = false;
        break;
      }
      score += table === t ? 10 : table.startsWith(t) ? 5 : table.includes(t) ? 3 : 1;
    }
    if (!all) continue;
    score += (a.producers ? 0.5 : 0) + (owners.length ? 0.3 : 0) + (a.consumers ? 0.2 : 0);
    scored.push([score, a]);
  }
  scored.sort((x, y) => y[0] - x[0] || (x[1].key < y[1].key ? -1 : 1));
  return { total: scored.length, limit, offset, items: scored.slice(offset, offset + limit).map(([, a]) => a) };
}

/** Link to a task in Airflow's UI when config.airflow is set (Airflow 3: /dags/<dag>/tasks/<task>). */
export function airflowTaskUrl(dagId: string, taskId?: string): string | null {
  const base = config().airflow;
  if (!base) return null;
  const dag = `${base}/dags/${encodeURIComponent(dagId)}`;
  return taskId ? `${dag}/tasks/${encodeURIComponent(taskId)}` : dag;
}
