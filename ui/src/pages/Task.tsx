// One task: where it is, what it reads and writes, the SQL, and why it is partial or unresolved.
import { useData } from "../data/useData";
import { Status } from "../components/Status";
import { AirflowLink, AssetLink, DagLink, TaskLink, Ticks } from "../components/Links";
import { SqlBlock } from "../components/Sql";
import { shortSource } from "../components/Owners";

/** The settings that would resolve this task, from the coverage report's reasons that list it. */
function fixesFor(coverage: any, dagId: string, taskId: string): string[] {
  return (coverage?.reasons ?? [])
    .filter((r: any) => r.setting && (r.tasks ?? []).some((t: any) => t.dag_id === dagId && t.task_id === taskId))
    .map((r: any) => r.setting);
}

export function TaskPage({ dagId, taskId }: { dagId: string; taskId: string }) {
  const task = useData<any>(`/api/v1/tasks/${encodeURIComponent(dagId)}/${encodeURIComponent(taskId)}`);
  const t = task.data;
  const coverage = useData<any>(t && (t.errors ?? []).length ? "/api/v1/coverage" : null);
  const fixes = t ? fixesFor(coverage.data, t.dag_id, t.task_id) : [];
  return (
    <section className="page task">
      <Status state={task}>
        {t && (
          <>
            <div className="title-row">
              <div>
                <div className="crumbs small">
                  task of DAG <DagLink dagId={t.dag_id} />
                </div>
                <h1>{t.task_id}</h1>
                <div className="small muted">
                  {t.operator} ·{" "}
                  <code>
                    {t.file}
                    {t.line ? `:${t.line}` : ""}
                  </code>
                  {t.owner && <> · owner {t.owner}</>} · <span className={`state ${t.status}`}>{t.status.replace("_", " ")}</span>
                </div>
              </div>
              <div className="title-actions">
                <AirflowLink dagId={t.dag_id} taskId={t.task_id} />
              </div>
            </div>
            {(t.errors ?? []).length > 0 && (
              <div className="card problems">
                <h2>Why overlay could not resolve all of it</h2>
                <ul>
                  {t.errors.map((e: string) => (
                    <li key={e}>
                      <Ticks text={e} />
                    </li>
                  ))}
                </ul>
                {fixes.map((f) => (
                  <p className="fix" key={f}>
                    <strong>Fix:</strong> <Ticks text={f} />
                  </p>
                ))}
              </div>
            )}
            <div className="grid2">
              <div className="card">
                <h2>Reads</h2>
                {(t.reads ?? []).length === 0 && <p className="muted">No table found.</p>}
                <ul className="plain">
                  {(t.reads ?? []).map((k: string) => (
                    <li key={k}>
                      <AssetLink k={k} full />
                    </li>
                  ))}
                </ul>
              </div>
              <div className="card">
                <h2>Writes</h2>
                {(t.writes ?? []).length === 0 && <p className="muted">No table found.</p>}
                <ul className="plain">
                  {(t.writes ?? []).map((k: string) => (
                    <li key={k}>
                      <AssetLink k={k} full />
                    </li>
                  ))}
                </ul>
              </div>
            </div>
            <div className="card">
              <h2>SQL</h2>
              <SqlBlock statements={t.sql ?? []} reads={t.reads ?? []} writes={t.writes ?? []} />
              {(t.sql_files ?? []).length > 0 && (
                <p className="small muted">
                  From {t.sql_files.map((f: any) => (typeof f === "string" ? f : f.path ?? JSON.stringify(f))).join(", ")}
                </p>
              )}
            </div>
            <div className="grid2">
              <div className="card">
                <h2>Runs after</h2>
                {(t.upstream ?? []).length === 0 && <p className="muted">Nothing: it starts its DAG.</p>}
                <ul className="plain">
                  {(t.upstream ?? []).map((u: string) => (
                    <li key={u}>
                      <TaskLink dagId={t.dag_id} taskId={u} />
                    </li>
                  ))}
                </ul>
              </div>
              <div className="card">
                <h2>Owners</h2>
                <ul className="plain">
                  {(t.ownership ?? []).map((c: any, i: number) => (
                    <li key={i}>
                      <strong>{c.owner}</strong> <span className="small muted">{c.role} · {c.rule} <code>{shortSource(c.source ?? "")}</code></span>
                    </li>
                  ))}
                </ul>
              </div>
            </div>
          </>
        )}
      </Status>
    </section>
  );
}
