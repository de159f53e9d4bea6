// One task: where it is, what it reads and writes, the SQL, and why it is partial or unresolved.
import { useEffect, useState } from "react";
import { useData } from "../data/useData";
import { getJSON } from "../data/client";
import { Status } from "../components/Status";
import { AirflowLink, AssetLink, DagLink, TaskLink, Ticks } from "../components/Links";
import { SqlBlock } from "../components/Sql";
import { RunsTable } from "../components/RunsTable";
import { shortSource } from "../components/Owners";

/** The settings that would resolve this task, from the coverage report's reasons that list it. */
function fixesFor(coverage: any, dagId: string, taskId: string): string[] {
  return (coverage?.reasons ?? [])
    .filter((r: any) => r.setting && (r.tasks ?? []).some((t: any) => t.dag_id === dagId && t.task_id === taskId))
    .map((r: any) => r.setting);
}

/** The task's recorded runs (latest first), from the materializations of what it writes. */
function useRuns(t: any): any[] | null {
  const [runs, setRuns] = useState<any[] | null>(null);
  const writes: string[] = t?.writes ?? [];
  useEffect(() => {
    if (!t) return;
    if (!writes.length) return setRuns([]);
    const controller = new AbortController();
    Promise.all(
      writes.map((k) => getJSON(`/api/v1/assets/${encodeURIComponent(k)}/materializations`, { limit: 50 }, { signal: controller.signal }).catch(() => null)),
    ).then((answers) => {
      if (controller.signal.aborted) return;
      const seen = new Map<string, any>();
      for (const a of answers)
        for (const m of a?.materializations ?? [])
          if (m.dag_id === t.dag_id && m.task_id === t.task_id) seen.set(`${m.run_id}/${m.try_number}`, m);
      setRuns([...seen.values()].sort((x, y) => ((y.end_date ?? y.start_date ?? "") < (x.end_date ?? x.start_date ?? "") ? -1 : 1)).slice(0, 10));
    });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [t?.dag_id, t?.task_id, writes.join("\n")]);
  return runs;
}

export function TaskPage({ dagId, taskId }: { dagId: string; taskId: string }) {
  const task = useData<any>(`/api/v1/tasks/${encodeURIComponent(dagId)}/${encodeURIComponent(taskId)}`);
  const t = task.data;
  const coverage = useData<any>(t && (t.errors ?? []).length ? "/api/v1/coverage" : null);
  const fixes = t ? fixesFor(coverage.data, t.dag_id, t.task_id) : [];
  const runs = useRuns(t);
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
            <div className="card">
              <h2>Recorded runs</h2>
              {runs === null ? (
                <div className="loading">Loading…</div>
              ) : runs.length === 0 ? (
                <p className="muted">{(t.writes ?? []).length ? "No recorded run (the Airflow listener or overlay runs sync records them)." : "It writes no table, so no run of it is recorded."}</p>
              ) : (
                <RunsTable runs={runs} withTask={false} />
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
