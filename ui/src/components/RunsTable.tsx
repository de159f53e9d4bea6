// Recorded runs (materializations): when, state, the task (unless the page is the task's own), run and try.
import { ago, when } from "../format";
import { TaskLink } from "./Links";

export function RunsTable({ runs, withTask = true }: { runs: any[]; withTask?: boolean }) {
  return (
    <table className="table compact">
      <thead>
        <tr>
          <th>Ended</th>
          <th>State</th>
          {withTask && <th>Task</th>}
          <th>Run</th>
          <th>Try</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((m: any) => (
          <tr key={`${m.dag_id}.${m.task_id}/${m.run_id}/${m.try_number}`}>
            <td title={when(m.end_date)}>{ago(m.end_date ?? m.start_date)}</td>
            <td>
              <span className={`state ${m.state === "success" ? "ok" : "bad"}`}>{m.state}</span>
            </td>
            {withTask && (
              <td>
                <TaskLink dagId={m.dag_id} taskId={m.task_id} />
              </td>
            )}
            <td>
              <code>{m.run_id}</code>
            </td>
            <td className="num">{m.try_number}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
