// Links between pages: an asset, a task (`dag_id.task_id`), a DAG; and Airflow's page of a task.
import type { ReactNode } from "react";
import { href, splitTaskRef } from "../router";
import { airflowTaskUrl } from "../data/client";
import { nameOf, namespaceOf } from "../format";

export function AssetLink({ k, full = false }: { k: string; full?: boolean }) {
  return (
    <a className="asset-link" href={href.asset(k)} title={k}>
      {full ? k : nameOf(k)}
      {!full && namespaceOf(k) && <span className="ns-tag">{namespaceOf(k)}</span>}
    </a>
  );
}

export function TaskLink({ task, dagId, taskId }: { task?: string; dagId?: string; taskId?: string }) {
  const [d, t] = dagId && taskId ? [dagId, taskId] : splitTaskRef(task ?? "");
  return (
    <a className="task-link" href={href.task(d, t)} title={`task ${t} of DAG ${d}`}>
      {d}.{t}
    </a>
  );
}

export function DagLink({ dagId }: { dagId: string }) {
  return (
    <a className="dag-link" href={href.dag(dagId)}>
      {dagId}
    </a>
  );
}

export function AirflowLink({ dagId, taskId, children }: { dagId: string; taskId?: string; children?: ReactNode }) {
  const url = airflowTaskUrl(dagId, taskId);
  if (!url) return null;
  return (
    <a className="airflow-link" href={url} target="_blank" rel="noopener noreferrer">
      {children ?? (taskId ? "open in Airflow ↗" : "open DAG in Airflow ↗")}
    </a>
  );
}

const KEY = /([a-z][\w-]*:[\w$.\-/]*[\w$])/g;
const TASK = /\b(producer|task|by) ([A-Za-z_][\w-]*\.[\w.-]*\w)/g;

/** Text from the API (a stale reason, a change) with the asset keys and task refs in it made links. */
export function LinkedText({ text }: { text: string }) {
  const pieces: ReactNode[] = [];
  const marks: { start: number; end: number; node: ReactNode }[] = [];
  for (const m of text.matchAll(KEY)) {
    if (/^(https?|file|run|try|ended)$/.test(m[1].split(":")[0])) continue;
    marks.push({ start: m.index!, end: m.index! + m[1].length, node: <AssetLink k={m[1]} full /> });
  }
  for (const m of text.matchAll(TASK)) {
    const start = m.index! + m[1].length + 1;
    if (marks.some((x) => start < x.end && x.start < start + m[2].length)) continue;
    marks.push({ start, end: start + m[2].length, node: <TaskLink task={m[2]} /> });
  }
  marks.sort((a, b) => a.start - b.start);
  let at = 0;
  marks.forEach((m, i) => {
    if (m.start < at) return;
    pieces.push(text.slice(at, m.start));
    pieces.push(<span key={i}>{m.node}</span>);
    at = m.end;
  });
  pieces.push(text.slice(at));
  return <>{pieces}</>;
}

/** Text with `backticked` spans as code (the API's settings and fixes are written that way). */
export function Ticks({ text }: { text: string }) {
  return (
    <>
      {text.split(/(`[^`]+`)/).map((part, i) => (part.startsWith("`") && part.endsWith("`") && part.length > 2 ? <code key={i}>{part.slice(1, -1)}</code> : part))}
    </>
  );
}
