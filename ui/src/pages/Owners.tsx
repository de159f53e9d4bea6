// Owners: who owns which assets, the conflicts and the written assets nobody owns.
import { useState } from "react";
import { useData } from "../data/useData";
import { Status } from "../components/Status";
import { AssetLink, TaskLink } from "../components/Links";
import { href, navigate } from "../router";
import { plural } from "../format";

export function groupByOwner(assets: any[]): [string, any[]][] {
  const by = new Map<string, any[]>();
  for (const a of assets) for (const o of a.owners ?? []) by.set(o, [...(by.get(o) ?? []), a]);
  return [...by.entries()].sort((x, y) => y[1].length - x[1].length || (x[0] < y[0] ? -1 : 1));
}

export function OwnersPage({ q }: { q: string }) {
  const owners = useData<any>("/api/v1/owners");
  const [filter, setFilter] = useState(q);
  const data = owners.data;
  const needle = filter.trim().toLowerCase();
  const groups = data ? groupByOwner(data.assets ?? []).filter(([o]) => !needle || o.toLowerCase().includes(needle)) : [];
  return (
    <section className="page owners-page">
      <h1>Owners</h1>
      <input
        className="filter"
        type="search"
        aria-label="Filter owners"
        placeholder="Filter by owner or team…"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        onKeyDown={(e) => e.key === "Enter" && navigate(href.owners(filter.trim() || undefined))}
      />
      <Status state={owners}>
        {data && (
          <>
            <div className="grid2">
              <div className="card">
                <h2>Conflicts ({data.conflicts.length})</h2>
                {data.conflicts.length === 0 ? (
                  <p className="muted">No asset is written by tasks of different owners.</p>
                ) : (
                  <ul className="plain">
                    {data.conflicts.map((k: string) => (
                      <li key={k}>
                        <AssetLink k={k} full />
                      </li>
                    ))}
                  </ul>
                )}
              </div>
              <div className="card">
                <h2>Written but unowned ({data.unowned.length})</h2>
                {data.unowned.length === 0 ? (
                  <p className="muted">Every written asset has an owner.</p>
                ) : (
                  <ul className="plain">
                    {data.unowned.map((k: string) => (
                      <li key={k}>
                        <AssetLink k={k} full />
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            </div>
            {groups.length === 0 && <p className="muted">No owner matches “{filter}”.</p>}
            {groups.map(([owner, assets]) => (
              <div className="card" key={owner}>
                <h2>
                  {owner} <span className="muted small">{plural(assets.length, "asset")}</span>
                </h2>
                <table className="table compact">
                  <tbody>
                    {assets.map((a: any) => (
                      <tr key={a.key}>
                        <td>
                          <AssetLink k={a.key} full />
                        </td>
                        <td className="small muted">
                          {(a.ownership ?? [])
                            .filter((c: any) => c.owner === owner)
                            .map((c: any) => c.rule)
                            .join(", ")}
                        </td>
                        <td className="small">
                          {(a.producers ?? []).length ? (
                            <>
                              written by{" "}
                              {a.producers.map((t: string, i: number) => (
                                <span key={t}>
                                  {i > 0 && ", "}
                                  <TaskLink task={t} />
                                </span>
                              ))}
                            </>
                          ) : (
                            <span className="muted">no producer</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ))}
          </>
        )}
      </Status>
    </section>
  );
}
