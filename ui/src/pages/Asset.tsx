// One asset: what it is, who writes and reads it (with the SQL), who owns it, whether it is fresh, what it costs,
// which same-named table to use, and its neighbourhood in the lineage graph.
import { useData } from "../data/useData";
import { Status } from "../components/Status";
import { AirflowLink, AssetLink, DagLink, TaskLink } from "../components/Links";
import { Freshness } from "../components/Freshness";
import { Verdict } from "../components/Verdict";
import { Evidence } from "../components/Evidence";
import { BarChart } from "../components/Chart";
import { SqlBlock } from "../components/Sql";
import { RunsTable } from "../components/RunsTable";
import { Owners } from "../components/Owners";
import { href } from "../router";
import { ago, money, nameOf, namespaceOf, plural, tableName, when } from "../format";

// the graph module's neighbourhood view, when it is there (ui/src/graph/ is built by another part of the UI)
const graphModules = import.meta.glob("../graph/Neighbourhood.tsx", { eager: true }) as Record<string, any>;
const Neighbourhood: any = Object.values(graphModules)[0]?.Neighbourhood ?? null;

function TaskSql({ task }: { task: any }) {
  const detail = useData<any>(`/api/v1/tasks/${encodeURIComponent(task.dag_id)}/${encodeURIComponent(task.task_id)}`);
  return (
    <Status state={detail}>
      {detail.data && <SqlBlock statements={detail.data.sql ?? []} reads={detail.data.reads ?? []} writes={detail.data.writes ?? []} />}
    </Status>
  );
}

function TaskRow({ t, open }: { t: any; open: boolean }) {
  return (
    <details className="task-row" open={open}>
      <summary>
        <span className="task-title">
          <TaskLink dagId={t.dag_id} taskId={t.task_id} />
        </span>
        <span className="small">
          DAG <DagLink dagId={t.dag_id} /> · {t.operator} ·{" "}
          <code>
            {t.file}
            {t.line ? `:${t.line}` : ""}
          </code>
          {t.status !== "resolved" && <span className={`state ${t.status}`}>{t.status}</span>}
          {t.owner && <> · owner {t.owner}</>}
        </span>
        <AirflowLink dagId={t.dag_id} taskId={t.task_id} />
      </summary>
      <TaskSql task={t} />
    </details>
  );
}

/** What the evidence of the preferred table has, in words ("it has a producer, an owner and 2 readers"). */
export function evidenceWords(e: any): string {
  if (!e) return "it has the best evidence of them";
  const has: string[] = [];
  if (e.producers) has.push(e.producers === 1 ? "a producer" : `${e.producers} producers`);
  if (e.owners) has.push(e.owners === 1 ? "an owner" : `${e.owners} owners`);
  if (e.last_materialized) has.push(`a run ${ago(e.last_materialized)}`);
  if (e.consumers) has.push(e.consumers === 1 ? "a reader" : `${e.consumers} readers`);
  if (e.queries) has.push(plural(e.queries, "query", "queries"));
  if (!has.length) return "it has the best evidence of them";
  return `it has ${has.length > 1 ? `${has.slice(0, -1).join(", ")} and ${has[has.length - 1]}` : has[0]}`;
}

function SameName({ asset }: { asset: any }) {
  const others: any[] = asset.same_name ?? [];
  if (!others.length) return null;
  const rows = [{ key: asset.key, verdict: asset.verdict ?? null, evidence: asset.evidence, self: true }, ...others];
  const order = (v: string | null) => (v === "preferred" ? 0 : v === "likely_legacy" ? 2 : 1);
  rows.sort((a, b) => order(a.verdict) - order(b.verdict) || (a.key < b.key ? -1 : 1));
  const preferred = rows.find((r) => r.verdict === "preferred");
  const self = rows.find((r) => r.self)!;
  const readers = self.evidence?.consumers ?? 0;
  return (
    <div className="card which">
      <h2>Which “{tableName(asset.key)}” table should I use?</h2>
      <p>
        {preferred ? (
          <>
            Use <AssetLink k={preferred.key} full />
            {preferred.self ? " (this one)" : ""}: {evidenceWords(preferred.evidence)}.
            {!preferred.self && self.verdict === "likely_legacy" && readers > 0 && (
              <> {plural(readers, "task")} still read{readers === 1 ? "s" : ""} this one: move {readers === 1 ? "it" : "them"} to the preferred table.</>
            )}
          </>
        ) : (
          <>{plural(rows.length, "table")} share the name; none has all the evidence of a table to rely on.</>
        )}
      </p>
      <table className="table">
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} className={r.self ? "self" : undefined}>
              <td>
                {r.self ? <strong>{r.key}</strong> : <AssetLink k={r.key} full />}
                {r.self && <span className="muted small"> (this page)</span>}
              </td>
              <td>
                <Verdict verdict={r.verdict} />
              </td>
              <td>
                <Evidence e={r.evidence} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Cost({ assetKey }: { assetKey: string }) {
  const cost = useData<any>(`/api/v1/assets/${encodeURIComponent(assetKey)}/cost`, { bucket: "day" });
  if (cost.error && (cost.error as any).status === 404) return <p className="muted">No cost data in this catalog.</p>;
  return (
    <Status state={cost}>
      {cost.data &&
        (cost.data.series?.length && cost.data.total > 0 ? (
          <>
            <p>
              {money(cost.data.total)} over {plural(cost.data.series.reduce((n: number, p: any) => n + p.queries, 0), "query", "queries")} attributed to it.
            </p>
            <BarChart
              title={`Cost of ${assetKey} per ${cost.data.bucket}`}
              points={cost.data.series.map((p: any) => ({ label: p.period.slice(5), value: p.cost, note: plural(p.queries, "query", "queries") }))}
            />
          </>
        ) : (
          <p className="muted">No warehouse query cost is attributed to it (load query history with <code>overlay attribute</code>).</p>
        ))}
    </Status>
  );
}

function Runs({ assetKey }: { assetKey: string }) {
  const runs = useData<any>(`/api/v1/assets/${encodeURIComponent(assetKey)}/materializations`, { limit: 10 });
  return (
    <Status state={runs}>
      {runs.data &&
        (runs.data.materializations.length ? (
          <RunsTable runs={runs.data.materializations} />
        ) : (
          <p className="muted">No recorded run wrote it.</p>
        ))}
    </Status>
  );
}

export function AssetPage({ assetKey }: { assetKey: string }) {
  const asset = useData<any>(`/api/v1/assets/${encodeURIComponent(assetKey)}`);
  const stale = useData<any>("/api/v1/stale");
  const a = asset.data;
  const ambiguous = asset.error && (asset.error as any).status === 409 ? ((asset.error as any).body?.candidates as string[]) : null;
  if (ambiguous) {
    return (
      <section className="page">
        <h1>“{assetKey}” names several assets</h1>
        <ul>
          {ambiguous.map((k) => (
            <li key={k}>
              <AssetLink k={k} full />
            </li>
          ))}
        </ul>
      </section>
    );
  }
  const staleItem = a && stale.data ? (stale.data.stale ?? []).find((s: any) => s.key === a.key) ?? null : null;
  return (
    <section className="page asset">
      <Status state={asset}>
        {a && (
          <>
            <div className="title-row">
              <div>
                <div className="crumbs small">
                  <span className="ns-tag">{a.namespace || namespaceOf(a.key)}</span> {nameOf(a.key).split(".").slice(0, -1).join(".")}
                </div>
                <h1>
                  {tableName(a.key)} <Verdict verdict={a.verdict} />
                </h1>
                <div className="muted small">
                  <code>{a.key}</code>
                </div>
              </div>
              <div className="title-actions">
                <a href={href.lineage({ select: `+${a.key}+` })}>Open in lineage →</a>
              </div>
            </div>
            {a.description && <p className="description">{a.description}</p>}
            <SameName asset={a} />
            <Freshness stale={staleItem} last={a.last_materialization} />
            <div className="grid2">
              <div className="card">
                <h2>Owners</h2>
                <Owners asset={a} />
              </div>
              <div className="card">
                <h2>Columns</h2>
                {(a.columns ?? []).length ? (
                  <div className="columns">
                    {a.columns.map((c: any) => (
                      <code key={typeof c === "string" ? c : c.name}>{typeof c === "string" ? c : c.name}</code>
                    ))}
                  </div>
                ) : (
                  <p className="muted">Not known from the SQL.</p>
                )}
              </div>
            </div>
            <div className="card">
              <h2>Written by ({a.producers.length})</h2>
              {a.producers.length === 0 && <p className="muted">No task in the scanned DAGs writes it.</p>}
              {a.producers.map((t: any, i: number) => (
                <TaskRow key={t.task} t={t} open={i === 0} />
              ))}
            </div>
            <div className="card">
              <h2>
                Read by ({plural(a.consumer_tasks ?? a.consumers.length, "task")} in {plural(a.consumer_dags ?? 0, "DAG")})
              </h2>
              {a.consumers.length === 0 && <p className="muted">No task in the scanned DAGs reads it.</p>}
              {a.consumers.map((t: any) => (
                <TaskRow key={t.task} t={t} open={false} />
              ))}
            </div>
            <div className="card">
              <h2>Upstream and downstream</h2>
              {Neighbourhood ? (
                <Neighbourhood assetKey={a.key} />
              ) : (
                <div className="grid2">
                  <div>
                    <h3>Comes from</h3>
                    {a.upstream.length === 0 && <p className="muted">Nothing upstream.</p>}
                    <ul className="plain">
                      {a.upstream.map((n: any) => (
                        <li key={n.key + n.via}>
                          <AssetLink k={n.key} /> <span className="small muted">via</span> <TaskLink task={n.via} />
                        </li>
                      ))}
                    </ul>
                  </div>
                  <div>
                    <h3>Feeds</h3>
                    {a.downstream.length === 0 && <p className="muted">Nothing downstream.</p>}
                    <ul className="plain">
                      {a.downstream.map((n: any) => (
                        <li key={n.key + n.via}>
                          <AssetLink k={n.key} /> <span className="small muted">via</span> <TaskLink task={n.via} />
                        </li>
                      ))}
                    </ul>
                  </div>
                </div>
              )}
            </div>
            <div className="grid2">
              <div className="card">
                <h2>Last runs</h2>
                <Runs assetKey={a.key} />
              </div>
              <div className="card">
                <h2>Cost over time</h2>
                <Cost assetKey={a.key} />
              </div>
            </div>
          </>
        )}
      </Status>
    </section>
  );
}
