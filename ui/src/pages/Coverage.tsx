// Coverage: the tasks overlay could not resolve, by reason, with the setting that would resolve them.
import { useData } from "../data/useData";
import { Status } from "../components/Status";
import { TaskLink, Ticks } from "../components/Links";
import { plural } from "../format";

export function CoveragePage() {
  const coverage = useData<any>("/api/v1/coverage");
  const c = coverage.data;
  const totals = c?.totals ?? {};
  const touching = (totals.resolved ?? 0) + (totals.partial ?? 0) + (totals.unresolved ?? 0);
  return (
    <section className="page coverage-page">
      <h1>Coverage</h1>
      <Status state={coverage}>
        {c && (
          <>
            <div className="counts">
              <div className="count ok">
                <strong>{totals.resolved ?? 0}</strong>
                <span>resolved</span>
              </div>
              <div className="count warn">
                <strong>{totals.partial ?? 0}</strong>
                <span>partial</span>
              </div>
              <div className="count bad">
                <strong>{totals.unresolved ?? 0}</strong>
                <span>unresolved</span>
              </div>
              <div className="count">
                <strong>{totals.no_data ?? 0}</strong>
                <span>touch no data</span>
              </div>
            </div>
            <p>
              {touching > 0
                ? `${totals.resolved} of ${plural(touching, "task")} that touch data are resolved (${((100 * totals.resolved) / touching).toFixed(1)}%).`
                : "No task touches data."}
            </p>
            {(c.reasons ?? []).length === 0 && <p className="muted">Every task that touches data is resolved.</p>}
            {(c.reasons ?? []).map((r: any) => (
              <div className="card" key={r.reason}>
                <h2>
                  <Ticks text={r.reason} /> <span className="muted small">{plural(r.count, "task")}</span>
                </h2>
                {r.setting && (
                  <p className="fix">
                    <strong>Fix:</strong> <Ticks text={r.setting} />
                  </p>
                )}
                <table className="table compact">
                  <tbody>
                    {(r.tasks ?? []).map((t: any) => (
                      <tr key={`${t.dag_id}.${t.task_id}`}>
                        <td>
                          <TaskLink dagId={t.dag_id} taskId={t.task_id} />
                        </td>
                        <td>
                          <code>
                            {t.file}
                            {t.line ? `:${t.line}` : ""}
                          </code>
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
