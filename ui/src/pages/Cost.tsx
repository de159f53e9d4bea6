// Cost: warehouse query cost by owner, DAG or asset; this period against the previous; the movers and their queries.
import { Fragment, useState } from "react";
import { useData } from "../data/useData";
import { Status } from "../components/Status";
import { AssetLink, DagLink, TaskLink } from "../components/Links";
import { BarChart, CompareBars } from "../components/Chart";
import { href } from "../router";
import { config } from "../data/client";
import { money, percent, plural } from "../format";

const BYS: [string, string][] = [
  ["owner", "Owner"],
  ["dag", "DAG"],
  ["asset", "Asset"],
  ["task", "Task"],
];
const PERIODS: [number, string][] = [
  [7, "last 7 days"],
  [30, "last 30 days"],
  [90, "last 90 days"],
  [0, "all time"],
];

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** [since, until) of the last `days` days, until tomorrow (today included). */
export function period(days: number, now: Date = new Date()): { since?: string; until?: string } {
  if (!days) return {};
  const until = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  const since = new Date(until.getTime() - days * 86400_000);
  return { since: day(since), until: day(until) };
}

function Group({ by, name }: { by: string; name: string }) {
  if (name === "(unattributed)") return <span className="muted">(not attributed to a task)</span>;
  if (by === "asset") return <AssetLink k={name} full />;
  if (by === "dag") return <DagLink dagId={name} />;
  if (by === "task") return <TaskLink task={name} />;
  return <a href={href.owners(name)}>{name}</a>;
}

function MoverQueries({ assets }: { assets: string[] }) {
  return (
    <div className="mover-queries">
      {assets.slice(0, 3).map((k) => (
        <AssetQueries key={k} assetKey={k} />
      ))}
    </div>
  );
}

function AssetQueries({ assetKey }: { assetKey: string }) {
  const cost = useData<any>(`/api/v1/assets/${encodeURIComponent(assetKey)}/cost`, { bucket: "day" });
  return (
    <div className="asset-queries">
      <AssetLink k={assetKey} full />
      <Status state={cost}>
        {cost.data && (
          <>
            <span className="small muted">
              {" "}
              {money(cost.data.total)} in {plural(cost.data.series.reduce((n: number, p: any) => n + p.queries, 0), "query", "queries")}
            </span>
            <BarChart
              height={90}
              title={`Daily cost of ${assetKey}`}
              points={cost.data.series.slice(-60).map((p: any) => ({ label: p.period.slice(5), value: p.cost, note: plural(p.queries, "query", "queries") }))}
            />
          </>
        )}
      </Status>
    </div>
  );
}

export function CostPage({ by: initialBy }: { by: string }) {
  const [by, setBy] = useState(BYS.some(([b]) => b === initialBy) ? initialBy : "owner");
  const isStatic = config().mode === "static"; // the export holds the all-time report only
  const [days, setDays] = useState(isStatic ? 0 : 30);
  const [open, setOpen] = useState<string | null>(null);
  const range = period(days);
  const report = useData<any>("/api/v1/cost", { by, ...range, compare: days ? "previous" : undefined });
  const r = report.data;
  return (
    <section className="page cost-page">
      <h1>Cost</h1>
      <div className="toolbar">
        <div className="tabs" role="tablist" aria-label="Total by">
          {BYS.map(([b, label]) => (
            <button key={b} role="tab" aria-selected={by === b} className={by === b ? "active" : undefined} onClick={() => setBy(b)}>
              by {label}
            </button>
          ))}
        </div>
        <select aria-label="Period" value={days} onChange={(e) => setDays(Number(e.target.value))} disabled={isStatic}>
          {PERIODS.filter(([d]) => !isStatic || d === 0).map(([d, label]) => (
            <option key={d} value={d}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <Status state={report}>
        {r && (
          <>
            <div className="counts">
              <div className="count">
                <strong>{money(r.total)}</strong>
                <span>{days ? PERIODS.find(([d]) => d === days)![1] : "all time"}</span>
              </div>
              {r.previous && (
                <div className="count">
                  <strong>{money(r.previous.total)}</strong>
                  <span>the {days} days before</span>
                </div>
              )}
              {r.previous && (
                <div className={`count ${r.total > r.previous.total ? "bad" : "ok"}`}>
                  <strong>
                    {r.total >= r.previous.total ? "+" : ""}
                    {money(r.total - r.previous.total)}
                  </strong>
                  <span>change</span>
                </div>
              )}
            </div>
            {r.groups.length === 0 ? (
              <p className="muted">
                No query cost in this period. Load warehouse query history with <code>overlay attribute</code>.
              </p>
            ) : (
              <div className="grid2">
                <div className="card">
                  <h2>By {by}</h2>
                  <table className="table compact">
                    <tbody>
                      {r.groups.map((g: any) => (
                        <tr key={g.group}>
                          <td>
                            <Group by={by} name={g.group} />
                          </td>
                          <td className="num">{money(g.cost)}</td>
                          <td className="share">
                            <div className="sharebar" style={{ width: `${Math.round(g.share * 100)}%` }} />
                            <span className="small muted">{percent(g.share)}</span>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <div className="card">
                  <h2>This period against the previous</h2>
                  {r.movers?.length ? (
                    <CompareBars
                      title="Cost this period and the previous, the movers"
                      rows={r.movers.slice(0, 8).map((m: any) => ({ label: m.group, now: m.cost, before: m.previous }))}
                    />
                  ) : (
                    <p className="muted">{days ? "Nothing changed." : "Choose a period to compare it with the one before."}</p>
                  )}
                  {r.movers?.length > 0 && (
                    <p className="small legend">
                      <span className="cbar-key now" /> this period <span className="cbar-key before" /> previous
                    </p>
                  )}
                </div>
              </div>
            )}
            {r.movers?.length > 0 && (
              <div className="card">
                <h2>Movers, and the queries behind them</h2>
                <table className="table">
                  <thead>
                    <tr>
                      <th>{by}</th>
                      <th className="num">now</th>
                      <th className="num">before</th>
                      <th className="num">change</th>
                      <th>Owners</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {r.movers.map((m: any) => (
                      <Fragment key={m.group}>
                        <tr>
                          <td>
                            <Group by={by} name={m.group} />
                          </td>
                          <td className="num">{money(m.cost)}</td>
                          <td className="num">{money(m.previous)}</td>
                          <td className={`num ${m.change > 0 ? "bad" : "ok"}`}>
                            {m.change > 0 ? "+" : ""}
                            {money(m.change)}
                            {m.change_pct !== null && m.change_pct !== undefined && <span className="small muted"> ({m.change_pct > 0 ? "+" : ""}{m.change_pct.toFixed(0)}%)</span>}
                          </td>
                          <td className="small">{(m.owners ?? []).join(", ")}</td>
                          <td>
                            {(m.assets ?? []).length > 0 && (
                              <button className="link" onClick={() => setOpen(open === m.group ? null : m.group)}>
                                {open === m.group ? "hide queries" : "queries"}
                              </button>
                            )}
                          </td>
                        </tr>
                        {open === m.group && (
                          <tr>
                            <td colSpan={6}>
                              <MoverQueries assets={m.assets ?? []} />
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </Status>
    </section>
  );
}
