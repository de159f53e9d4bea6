// The evidence behind a verdict: producers, owners, last run, consumers, query traffic (api-perf's search fields).
import { ago, plural } from "../format";

export function Evidence({ e }: { e?: any }) {
  if (!e) return null;
  return (
    <span className="evidence">
      <span className={e.producers ? "" : "missing"}>{plural(e.producers ?? 0, "producer")}</span>
      <span className={e.owners ? "" : "missing"}>{plural(e.owners ?? 0, "owner")}</span>
      <span className={e.last_materialized ? "" : "missing"}>{e.last_materialized ? `written ${ago(e.last_materialized)}` : "no recorded run"}</span>
      <span>{plural(e.consumers ?? 0, "consumer")}</span>
      {e.queries !== undefined && <span>{plural(e.queries ?? 0, "query", "queries")}</span>}
    </span>
  );
}
