// Sources: each deployment or repository scanned, its last scan, counts, coverage and last run sync.
import { useData } from "../data/useData";
import { Status } from "../components/Status";
import { ago, percent, when } from "../format";

export function SourcesPage() {
  const sources = useData<any>("/api/v1/sources");
  return (
    <section className="page sources-page">
      <h1>Sources</h1>
      <Status state={sources}>
        {sources.data && (
          <table className="table">
            <thead>
              <tr>
                <th>Source</th>
                <th>Last scan</th>
                <th>Commit</th>
                <th>DAGs · tasks · assets</th>
                <th>Resolved</th>
                <th>Scan errors</th>
                <th>Last run seen</th>
              </tr>
            </thead>
            <tbody>
              {sources.data.items.map((s: any) => (
                <tr key={s.name}>
                  <td>
                    <strong>{s.name}</strong>
                    <div className="small muted">{(s.last_scan?.folders ?? []).join(", ")}</div>
                  </td>
                  <td title={when(s.last_scan?.finished_at)}>
                    {ago(s.last_scan?.finished_at)}
                    <div className="small muted">{s.last_scan?.mode}</div>
                  </td>
                  <td>
                    <code>{(s.commit ?? "").slice(0, 10) || "—"}</code>
                    {s.bundle_version && <div className="small muted">bundle {s.bundle_version}</div>}
                  </td>
                  <td className="num">
                    {s.counts?.dags ?? 0} · {s.counts?.tasks ?? 0} · {s.counts?.assets ?? 0}
                  </td>
                  <td className="num">{percent(s.coverage?.resolved_share)}</td>
                  <td className="num">{s.last_scan?.errors ?? 0}</td>
                  <td title={s.last_run_sync ? `last runs sync ${when(s.last_run_sync.at)}${s.last_run_sync.from ? ` from ${s.last_run_sync.from}` : ""}` : undefined}>
                    {s.last_run ? ago(s.last_run) : s.last_run_sync ? `none yet (runs synced ${ago(s.last_run_sync.at)})` : "never"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Status>
    </section>
  );
}
