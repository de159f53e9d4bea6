"""``overlay diff`` reports: terminal text, Markdown for a pull-request comment, JSON."""

from __future__ import annotations

from overlay.review.diff import DiffReport

MAX_ROWS = 50


def summary_line(report: DiffReport) -> str:
    c, i = report.changes, report.impact
    counts = {k: sum(1 for t in c.tasks if t.kind == k) for k in ("added", "removed", "changed")}
    parts = [f"{counts['changed']} task(s) changed, {counts['added']} added, {counts['removed']} removed"]
    downstream = [b for b in i.blast_radius if b.hops > 0]
    parts.append(f"{len(c.touched)} asset(s) touched, {len(downstream)} downstream in {len(i.affected_dags)} DAG(s)")
    if i.broken:
        parts.append(f"{len(i.broken)} asset(s) left without a producer")
    lost = sum(1 for x in c.coverage if x.lost)
    if lost:
        parts.append(f"{lost} task(s) lost lineage coverage")
    if i.owners_to_notify:
        parts.append("notify " + ", ".join(i.owners_to_notify))
    return "; ".join(parts)


def _task_lines(report: DiffReport) -> list[str]:
    lines = []
    for t in report.changes.tasks[:MAX_ROWS]:
        what = []
        for label, keys in (("+reads", t.reads_added), ("-reads", t.reads_removed), ("+writes", t.writes_added), ("-writes", t.writes_removed)):
            if keys:
                what.append(f"{label} {', '.join(keys)}")
        if t.sql_changed and t.kind == "changed":
            what.append("SQL changed")
        lines.append(f"{t.kind:8} {t.ref}  ({t.file}:{t.line or ''})" + (f"  {'; '.join(what)}" if what else ""))
    return lines


def _radius_lines(report: DiffReport) -> list[str]:
    rows = []
    for i in report.impact.blast_radius[:MAX_ROWS]:
        where = f"read by {', '.join(i.consumers)}" if i.consumers else "no reader"
        via = f" via {', '.join(i.producers)}" if i.producers and i.hops else ""
        owners = f"  owners: {', '.join(i.owners)}" if i.owners else "  unowned"
        rows.append(f"{i.hops} hop(s)  {i.asset}{via}; {where}{owners}")
    return rows


def _other_sections(report: DiffReport) -> list[tuple[str, list[str]]]:
    c, i = report.changes, report.impact
    sections = [
        ("Assets left without a producer", [f"{b.asset}: was written by {', '.join(b.producers_before)}; still read by "
                                            f"{', '.join(b.consumers)}" + (f" (owners: {', '.join(b.owners)})" if b.owners else "")
                                            for b in i.broken]),
        ("Assets", [f"added {k}" for k in c.assets_added] + [f"removed {k}" for k in c.assets_removed]),
        ("Cross-DAG links", [f"{l.kind} {l.from_dag} -> {l.to_dag} through {l.asset}" for l in c.links]),
        ("Schedule changes", [f"{r.dag_id}: {r.schedule_before} -> {r.schedule_after}; its readers "
                              + (", ".join(f"{d} ({s})" for d, s in r.consumer_dags.items()) or "none") for r in i.schedule_risks]),
        ("Lineage coverage", [f"{'lost' if x.lost else 'gained'} {x.task}: {x.before or 'new'} -> {x.after}"
                              + (f" ({'; '.join(x.reasons)[:200]})" if x.reasons and x.lost else "") for x in c.coverage]),
        ("Cost of touched assets", [f"{k}: {v:,.2f} USD" for k, v in sorted(report.cost.items(), key=lambda kv: -kv[1])]),
    ]
    return [(title, rows) for title, rows in sections if rows]


def text(report: DiffReport) -> str:
    out = [f"overlay diff: {report.base.label} -> {report.head.label} ({len(report.files_changed)} file(s) changed, "
           f"{report.seconds:.2f}s)", summary_line(report), ""]
    sections = [("Tasks", _task_lines(report)), ("Blast radius (downstream of what changed)", _radius_lines(report))]
    for title, rows in sections + _other_sections(report):
        if rows:
            out += [title, *("  " + r for r in rows), ""]
    diffs = [t for t in report.changes.tasks if t.sql_diff and t.kind == "changed"]
    for t in diffs[:10]:
        out += [f"SQL of {t.ref}", *("  " + line for line in t.sql_diff), ""]
    if not report.changes.tasks and not report.changes.dags:
        out.append("No change to DAGs, tasks or assets.")
    return "\n".join(out).rstrip() + "\n"


def markdown(report: DiffReport) -> str:
    out = ["### overlay: what this change does to the asset graph", "", f"**{summary_line(report)}**", "",
           f"<sub>{report.base.label} → {report.head.label} · {len(report.files_changed)} file(s) changed · "
           f"{report.seconds:.1f}s</sub>", ""]
    if report.impact.blast_radius:
        out += ["<details open><summary>Blast radius</summary>", "", "| hops | asset | read by | owners |", "|---|---|---|---|"]
        for i in report.impact.blast_radius[:MAX_ROWS]:
            out.append(f"| {i.hops} | `{i.asset}` | {', '.join(f'`{c}`' for c in i.consumers) or '—'} | {', '.join(i.owners) or 'unowned'} |")
        out += ["", "</details>", ""]
    if report.changes.tasks:
        out += ["<details><summary>Tasks</summary>", "", *(f"- {line}" for line in _task_lines(report)), "", "</details>", ""]
    for title, rows in _other_sections(report):
        out += [f"<details><summary>{title}</summary>", "", *(f"- {r}" for r in rows), "", "</details>", ""]
    diffs = [t for t in report.changes.tasks if t.sql_diff and t.kind == "changed"]
    if diffs:
        out += ["<details><summary>SQL changes</summary>", ""]
        for t in diffs[:10]:
            out += [f"`{t.ref}`", "", "```diff", *t.sql_diff, "```", ""]
        out += ["</details>", ""]
    return "\n".join(out).rstrip() + "\n"
