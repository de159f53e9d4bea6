// One DAG: its tasks in run order with what each reads and writes, and the DAGs before and after it through assets.
import { useEffect, useState } from "react";
import { useData } from "../data/useData";
import { getJSON } from "../data/client";
import { Status } from "../components/Status";
import { AirflowLink, AssetLink, DagLink, TaskLink } from "../components/Links";
import { href, splitTaskRef } from "../router";
import { ago, plural } from "../format";

/** The latest recorded run of each task, from the materializations of the assets the DAG writes. */
function useLastRuns(d: any): Map<string, any> {
  const [runs, setRuns] = useState<Map<string, any>>(new Map());
  const written: string[] = d ? [...new Set<string>(d.tasks.flatMap((t: any) => t.writes ?? []))].sort() : [];
  const key = written.join("\n");
  useEffect(() => {
    if (!written.length) return;
    const controller = new AbortController();
    Promise.all(
      written.slice(0, 50).map((k) =>
        getJSON(`/api/v1/assets/${encodeURIComponent(k)}/materializations`, { limit: 20 }, { signal: controller.signal }).catch(() => null),
      ),
    ).then((answers) => {
      if (controller.signal.aborted) return;
      const latest = new Map<string, any>();
      for (const a of answers)
        for (const m of a?.materializations ?? []) {
          if (m.dag_id !== d.dag_id) continue;
          const at = m.end_date ?? m.start_date ?? "";
          const seen = latest.get(m.task_id);
          if (!seen || at > (seen.end_date ?? seen.start_date ?? "")) latest.set(m.task_id, m);
        }
      setRuns(latest);
    });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return runs;
}

/** Tasks in dependency order (upstream first), ties by line in the file. */
export function runOrder(tasks: any[]): any[] {
  const byId = new Map(tasks.map((t) => [t.task_id, t]));
  const done = new Set<string>();
  const out: any[] = [];
  const visiting = new Set<string>();
  const visit = (t: any) => {
    if (done.has(t.task_id) || visiting.has(t.task_id)) return;
    visiting.add(t.task_id);
    for (const u of [...(t.upstream ?? [])].sort()) if (byId.has(u)) visit(byId.get(u));
    visiting.delete(t.task_id);
    done.add(t.task_id);
    out.push(t);
  };
  [...tasks].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.task_id < b.task_id ? -1 : 1)).forEach(visit);
  return out;
}

interface Link {
  dag: string;
  assets: Set<string>;
}

/** DAGs writing what this DAG reads (upstream) and reading what it writes (downstream), from the DAG's assets. */
export function neighbourDags(dagId: string, nodes: any[]): { up: Link[]; down: Link[] } {
  const up = new Map<string, Link>();
  const down = new Map<string, Link>();
  const dagOf = (ref: string) => splitTaskRef(ref, ref.startsWith(`${dagId}.`) ? dagId : undefined)[0];
  for (const n of nodes) {
    if (n.group) continue;
    const producers: string[] = (n.producers ?? []).map(dagOf);
    const consumers: string[] = (n.consumers ?? []).map(dagOf);
    const add = (map: Map<string, Link>, dag: string) => {
      if (dag === dagId) return;
      if (!map.has(dag)) map.set(dag, { dag, assets: new Set() });
      map.get(dag)!.assets.add(n.key ?? n.id);
    };
    if (consumers.includes(dagId)) producers.forEach((d) => add(up, d));
    if (producers.includes(dagId)) consumers.forEach((d) => add(down, d));
  }
  const sorted = (m: Map<string, Link>) => [...m.values()].sort((a, b) => (a.dag < b.dag ? -1 : 1));
  return { up: sorted(up), down: sorted(down) };
}

function DagList({ links, empty }: { links: Link[]; empty: string }) {
  if (!links.length) return <p className="muted">{empty}</p>;
  return (
    <ul className="plain">
      {links.map((l) => (
        <li key={l.dag}>
          <DagLink dagId={l.dag} />{" "}
          <span className="small muted">
            through{" "}
            {[...l.assets].map((k, i) => (
              <span key={k}>
                {i > 0 && ", "}
                <AssetLink k={k} />
              </span>
            ))}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function DagPage({ dagId }: { dagId: string }) {
  const dag = useData<any>(`/api/v1/dags/${encodeURIComponent(dagId)}`);
  const graph = useData<any>("/api/v1/graph", { select: `dag:${dagId}`, limit: 2000 });
  const d = dag.data;
  const links = graph.data ? neighbourDags(dagId, graph.data.nodes ?? []) : null;
  const lastRuns = useLastRuns(d);
  return (
    <section className="page dag">
      <Status state={dag}>
        {d && (
          <>
            <div className="title-row">
              <div>
                <div className="crumbs small">DAG</div>
                <h1>{d.dag_id}</h1>
                <div className="small muted">
                  <code>
                    {d.file}
                    {d.line ? `:${d.line}` : ""}
                  </code>{" "}
                  · schedule <code>{d.schedule ?? "none"}</code> · read by {d.mode === "import" ? "importing the file" : "reading the code"}
                  {(d.owners ?? []).length > 0 && <> · owner {d.owners.join(", ")}</>}
                </div>
                <div>
                  {(d.tags ?? []).map((t: string) => (
                    <span className="chip" key={t}>
                      {t}
                    </span>
                  ))}
                </div>
              </div>
              <div className="title-actions">
                <AirflowLink dagId={d.dag_id} />
                <a href={href.lineage({ select: `dag:${d.dag_id}` })}>Its assets in lineage →</a>
              </div>
            </div>
            <div className="grid2">
              <div className="card">
                <h2>Upstream DAGs</h2>
                <Status state={graph}>{links && <DagList links={links.up} empty="No other DAG writes what it reads." />}</Status>
              </div>
              <div className="card">
                <h2>Downstream DAGs</h2>
                <Status state={graph}>{links && <DagList links={links.down} empty="No other DAG reads what it writes." />}</Status>
              </div>
            </div>
            <div className="card">
              <h2>Tasks in run order ({d.tasks.length})</h2>
              <table className="table tasks">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>Task</th>
                    <th>Reads</th>
                    <th>Writes</th>
                    <th>Lineage</th>
                    <th>Last run</th>
                  </tr>
                </thead>
                <tbody>
                  {runOrder(d.tasks).map((t: any, i: number) => (
                    <tr key={t.task_id}>
                      <td className="num">{i + 1}</td>
                      <td>
                        <TaskLink dagId={t.dag_id} taskId={t.task_id} />
                        <div className="small muted">
                          {t.operator}
                          {(t.upstream ?? []).length > 0 && <> · after {t.upstream.join(", ")}</>}
                        </div>
                      </td>
                      <td>
                        {(t.reads ?? []).map((k: string) => (
                          <div key={k}>
                            <AssetLink k={k} />
                          </div>
                        ))}
                      </td>
                      <td>
                        {(t.writes ?? []).map((k: string) => (
                          <div key={k}>
                            <AssetLink k={k} />
                          </div>
                        ))}
                      </td>
                      <td>
                        <span className={`state ${t.status}`}>{t.status.replace("_", " ")}</span>
                        {(t.errors ?? []).length > 0 && <div className="small muted">{plural(t.errors.length, "problem")}</div>}
                      </td>
                      <td>
                        {lastRuns.get(t.task_id) ? (
                          <>
                            <span className={`state ${lastRuns.get(t.task_id).state === "success" ? "ok" : "bad"}`}>{lastRuns.get(t.task_id).state}</span>
                            <div className="small muted">
                              {ago(lastRuns.get(t.task_id).end_date ?? lastRuns.get(t.task_id).start_date)}, try {lastRuns.get(t.task_id).try_number}
                            </div>
                          </>
                        ) : (
                          <span className="small muted">{(t.writes ?? []).length ? "none recorded" : "—"}</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Status>
    </section>
  );
}
