// The SQL a task runs, with the tables it reads and writes highlighted and linked to their pages.
import type { ReactNode } from "react";
import { href } from "../router";
import { nameOf } from "../format";

interface Table {
  key: string;
  role: "read" | "write";
}

/** Ways the SQL may spell a table: its name and each dotted suffix with at least the table ("tempo.raw.orders", "raw.orders", "orders"). */
function spellings(key: string): string[] {
  const parts = nameOf(key).split(".");
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) out.push(parts.slice(i).join("."));
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function highlight(sql: string, tables: Table[]): ReactNode[] {
  const byText = new Map<string, Table>();
  for (const t of tables) for (const s of spellings(t.key)) if (!byText.has(s.toLowerCase()) || t.role === "write") byText.set(s.toLowerCase(), t);
  if (!byText.size) return [sql];
  const alternatives = [...byText.keys()].sort((a, b) => b.length - a.length).map((s) => s.split(".").map(escape).join(`["\`]?\\.["\`]?`));
  const pattern = new RegExp(`(?<![\\w.$])["\`]?(${alternatives.join("|")})["\`]?(?![\\w$])`, "gi");
  const out: ReactNode[] = [];
  let at = 0;
  for (const m of sql.matchAll(pattern)) {
    const table = byText.get(m[1].replace(/["`]/g, "").toLowerCase());
    if (!table) continue;
    out.push(sql.slice(at, m.index));
    out.push(
      <a key={m.index} className={`sql-table ${table.role}`} href={href.asset(table.key)} title={`${table.role === "write" ? "writes" : "reads"} ${table.key}`}>
        {m[0]}
      </a>,
    );
    at = m.index! + m[0].length;
  }
  out.push(sql.slice(at));
  return out;
}

function dedent(sql: string): string {
  const lines = sql.replace(/^\s*\n/, "").replace(/\s+$/, "").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^\s*/)![0].length));
  return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join("\n");
}

export function SqlBlock({ statements, reads, writes }: { statements: unknown[]; reads: string[]; writes: string[] }) {
  const tables: Table[] = [...reads.map((key) => ({ key, role: "read" as const })), ...writes.map((key) => ({ key, role: "write" as const }))];
  const texts = statements.map((s) => (typeof s === "string" ? s : (s as any)?.sql ?? JSON.stringify(s)));
  if (!texts.length) return <p className="muted">No SQL was found for this task.</p>;
  return (
    <div className="sql-wrap">
      {texts.map((t, i) => (
        <pre className="sql" key={i}>
          <code>{highlight(dedent(t), tables)}</code>
        </pre>
      ))}
      <p className="legend small">
        <span className="sql-table write">written</span> <span className="sql-table read">read</span>: click a table for its page
      </p>
    </div>
  );
}
