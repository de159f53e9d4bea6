// Catalog home: search as you type; what failed, is late or changed; who owns what; counts per source, DAG and team.
import { useData } from "../data/useData";
import { Status } from "../components/Status";
import { SearchBox } from "../components/SearchBox";
import { AssetLink, DagLink, LinkedText, TaskLink } from "../components/Links";
import { href } from "../router";
import { ago, duration, plural } from "../format";
import { shortReason } from "../components/Freshness";

/** Late assets, the latest first; those never updated after (their lag is unknown). */
function byLateness(items: any[]): any[] {
  return [...items].sort((a, b) => (b.late_by_seconds ?? -1) - (a.late_by_seconds ?? -1));
}

function Counts({ counts }: { counts: Record<string, number> }) {
  const items: [string, string, string][] = [
    ["assets", "assets", href.search("")],
    ["dags", "DAGs", href.sources()],
    ["tasks", "tasks", href.coverage()],
    ["owners", "owners", href.owners()],
    ["sources", "sources", href.sources()],
  ];
  return (
    <div className="counts">
      {items.map(([k, label, to]) => (
        <a className="count" key={k} href={to}>
          <strong>{counts[k] ?? 0}</strong>
          <span>{label}</span>
        </a>
      ))}
    </div>
  );
}

export function Home() {
  const summary = useData<any>("/api/v1/summary");
  const s = summary.data;
  return (
    <section className="page home">
      <div className="hero">
        <h1>Find a table, see who owns it and where it comes from</h1>
        <SearchBox autoFocus />
        <p className="muted hint">
          Try <a href={href.search("orders")}>orders</a>, <a href={href.search("okr dashboard")}>okr dashboard</a>,{" "}
          <a href={href.search("trial metrics")}>trial metrics</a> or an owner's name.
        </p>
      </div>
      <Status state={summary}>
        {s && (
          <>
            <Counts counts={s.counts ?? {}} />
            <div className="grid3">
              <div className="card">
                <h2>Recently failed</h2>
                {(s.recent_failures ?? []).length === 0 && <p className="muted">No failed runs recorded.</p>}
                <ul className="plain">
                  {(s.recent_failures ?? []).map((f: any) => (
                    <li key={`${f.key}/${f.task_id}/${f.at}`}>
                      <AssetLink k={f.key} />
                      <div className="small">
                        <span className="state bad">{f.state}</span> <TaskLink dagId={f.dag_id} taskId={f.task_id} /> · {ago(f.at)}
                      </div>
                    </li>
                  ))}
                </ul>
              </div>
              <div className="card">
                <h2>
                  Late <a className="small" href={href.stale()}>all →</a>
                </h2>
                {(s.stale ?? []).length === 0 && <p className="muted">Nothing is later than its freshness rule.</p>}
                <ul className="plain">
                  {byLateness(s.stale ?? []).slice(0, 8).map((x: any) => (
                    <li key={x.key}>
                      <AssetLink k={x.key} />
                      <div className="small">
                        <strong className="warn">{x.late_by_seconds === null ? "never updated" : `late by ${duration(x.late_by_seconds)}`}</strong>
                        {x.reason && (
                          <>
                            : {shortReason(x.reason)}
                          </>
                        )}
                      </div>
                    </li>
                  ))}
                </ul>
              </div>
              <div className="card">
                <h2>Recently changed</h2>
                {(s.recently_changed ?? []).length === 0 && <p className="muted">No changes recorded yet.</p>}
                <ul className="plain">
                  {(s.recently_changed ?? []).map((c: any, i: number) => (
                    <li key={`${c.key}/${i}`}>
                      <AssetLink k={c.key} />
                      <div className="small">
                        <LinkedText text={c.change} /> · {ago(c.at)}
                      </div>
                    </li>
                  ))}
                </ul>
              </div>
            </div>
            <div className="grid3">
              <div className="card">
                <h2>
                  Teams and owners <a className="small" href={href.owners()}>all →</a>
                </h2>
                <table className="table compact">
                  <tbody>
                    {(s.by_team ?? []).map((t: any) => (
                      <tr key={t.owner}>
                        <td>
                          <a href={href.owners(t.owner)}>{t.owner}</a>
                        </td>
                        <td className="num">{plural(t.assets, "asset")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div className="card">
                <h2>DAGs</h2>
                <table className="table compact">
                  <tbody>
                    {(s.by_dag ?? []).map((d: any) => (
                      <tr key={d.dag_id}>
                        <td>
                          <DagLink dagId={d.dag_id} />
                        </td>
                        <td className="num">{plural(d.assets, "asset")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div className="card">
                <h2>
                  Sources <a className="small" href={href.sources()}>details →</a>
                </h2>
                <table className="table compact">
                  <tbody>
                    {(s.by_source ?? []).map((x: any) => (
                      <tr key={x.name}>
                        <td>{x.name}</td>
                        <td className="num">
                          {plural(x.assets, "asset")} · {plural(x.dags, "DAG")}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          </>
        )}
      </Status>
    </section>
  );
}
