// Freshness in words: "late by 22 h: upstream daily_revenue is late: its producer failed, try 3", with the reason chain.
import { LinkedText, TaskLink } from "./Links";
import { ago, duration, parseLag, tableName } from "../format";

/** The most direct cause, short: the first reason of the chain, in a person's words. */
export function shortReason(reason: string): string {
  let m = reason.match(/^upstream (\S+) is late: producer \S+ failed \(.*?try (\d+)/);
  if (m) return `upstream ${tableName(m[1])} is late: its producer failed, try ${m[2]}`;
  m = reason.match(/^upstream (\S+) is late: (.*)$/);
  if (m) return `upstream ${tableName(m[1])} is late`;
  m = reason.match(/^producer \S+ failed \(.*?try (\d+)/);
  if (m) return `the producer failed, try ${m[1]}`;
  if (/^producer \S+ has no recorded run/.test(reason)) return "its producer has no recorded run";
  m = reason.match(/^producer \S+ has not run since (\S+)/);
  if (m) return `the producer has not run since ${ago(m[1])}`;
  return reason;
}

export function lateBy(item: any): number | null {
  if (item.late_by_seconds !== undefined) return item.late_by_seconds;
  const max = parseLag(item.max_lag);
  return item.lag_seconds === null || item.lag_seconds === undefined || max === null ? null : Math.max(0, item.lag_seconds - max);
}

export function Freshness({ stale, last }: { stale: any | null; last: any | null }) {
  if (stale) {
    const late = lateBy(stale);
    const reasons: string[] = stale.reasons ?? (stale.reason ? [stale.reason] : []);
    return (
      <div className="freshness late">
        <div className="headline">
          <strong>{late === null ? "Never updated" : `Late by ${duration(late)}`}</strong>
          {reasons[0] && <>: {shortReason(reasons[0])}</>}
        </div>
        <div className="small muted">
          Rule “{stale.rule}” allows {stale.max_lag}
          {stale.last_success ? `; last success ${ago(stale.last_success)}` : "; no successful run recorded"}.
        </div>
        {reasons.length > 0 && (
          <ol className="reasons">
            {reasons.map((r) => (
              <li key={r}>
                <LinkedText text={r} />
              </li>
            ))}
          </ol>
        )}
      </div>
    );
  }
  if (last) {
    return (
      <div className={`freshness ${last.state === "success" ? "ok" : "late"}`}>
        <div className="headline">
          <strong>{last.state === "success" ? `Written ${ago(last.end_date ?? last.start_date)}` : `Last run ${last.state}, ${ago(last.end_date ?? last.start_date)}`}</strong>{" "}
          by{" "}
          <TaskLink dagId={last.dag_id} taskId={last.task_id} /> (run {last.run_id}, try {last.try_number})
        </div>
      </div>
    );
  }
  return (
    <div className="freshness unknown">
      <div className="headline">
        <strong>No recorded run</strong>: overlay has seen no task run write it (the Airflow listener or <code>overlay runs sync</code> records them).
      </div>
    </div>
  );
}
