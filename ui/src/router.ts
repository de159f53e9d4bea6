// Hash routes (one index.html works under /, /overlay/ and file://):
// #/ · #/search?q= · #/asset/<key> · #/dag/<dag_id> · #/task/<dag_id>/<task_id> ·
// #/lineage?select=&group_by=&path_from=&path_to= · #/owners · #/stale · #/cost · #/coverage · #/sources
import { useEffect, useState } from "react";

export interface Route {
  page: string; // "home", "search", "asset", ...
  args: string[]; // decoded path segments after the page name
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const [pathPart, queryPart = ""] = raw.split("?", 2) as [string, string?];
  const segments = pathPart.split("/").filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { page: segments[0] ?? "home", args: segments.slice(1), query: new URLSearchParams(queryPart ?? "") };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

const enc = encodeURIComponent;
function withQuery(base: string, query?: Record<string, string | undefined>): string {
  const entries = Object.entries(query ?? {}).filter(([, v]) => v) as [string, string][];
  return entries.length ? `${base}?${new URLSearchParams(entries).toString()}` : base;
}

export const href = {
  home: () => "#/",
  search: (q: string) => withQuery("#/search", { q }),
  asset: (key: string) => `#/asset/${enc(key)}`,
  dag: (dagId: string) => `#/dag/${enc(dagId)}`,
  task: (dagId: string, taskId: string) => `#/task/${enc(dagId)}/${enc(taskId)}`,
  lineage: (q?: { select?: string; group_by?: string; path_from?: string; path_to?: string }) => withQuery("#/lineage", q),
  owners: (q?: string) => withQuery("#/owners", { q }),
  stale: () => "#/stale",
  cost: (q?: { by?: string }) => withQuery("#/cost", q),
  coverage: () => "#/coverage",
  sources: () => "#/sources",
};

/** `dag_id.task_id` → [dag_id, task_id] (task ids may hold dots: TaskGroup prefixes; dag ids rarely do). */
export function splitTaskRef(ref: string, dagHint?: string): [string, string] {
  if (dagHint && ref.startsWith(`${dagHint}.`)) return [dagHint, ref.slice(dagHint.length + 1)];
  const i = ref.indexOf(".");
  return i < 0 ? [ref, ""] : [ref.slice(0, i), ref.slice(i + 1)];
}

export function navigate(to: string): void {
  window.location.hash = to.replace(/^#/, "");
}
