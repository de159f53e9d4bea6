"""``overlay dag``, ``overlay task`` and ``overlay who``: one DAG, one task, and who to talk to about either or an asset."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from overlay.catalog import Catalog
from overlay.catalog.queries import AmbiguousKey, NotFound, UnknownKey
from overlay.cli.output import console, fail, print_json
from overlay.cli.query_cmd import DbOption, JsonOption, _open


def dag_command(dag_id: Annotated[str, typer.Argument(help="A DAG id.")], db: DbOption = None, as_json: JsonOption = False) -> None:
    """One DAG: its tasks in run order with what each reads and writes, its owners, and the DAGs up- and downstream."""
    catalog = _open(db)
    detail = _lookup(lambda: catalog.dag(dag_id), catalog, dag_id)
    detail["tasks"] = in_run_order(detail["tasks"])
    detail |= neighbour_dags(catalog, dag_id)
    detail["who"] = catalog.who(dag_id)
    if as_json:
        print_json(detail)
        return
    console.print(f"[bold]{escape(dag_id)}[/]  {escape(detail['file'])}:{detail['line'] or ''}  "
                  f"[dim](read by {detail['mode']}; schedule {detail['schedule'] or 'none'}; tags {', '.join(detail['tags']) or '-'})[/]")
    _print_who(detail["who"], indent="  ")
    console.print(f"  tasks ({len(detail['tasks'])}, in run order):")
    for task in detail["tasks"]:
        console.print(f"    [bold]{escape(task['task_id'])}[/]  [dim]{escape(task['operator'])} · {escape(task['file'])}:{task['line']} · "
                      f"{task['status']}[/]")
        for label in ("reads", "writes"):
            if task[label]:
                console.print(f"      {label}: {escape(', '.join(task[label]))}")
        for error in task["errors"]:
            console.print(f"      [yellow]{escape(error)}[/]")
    for label in ("upstream_dags", "downstream_dags"):
        links = detail[label]
        console.print(f"  {label.replace('_', ' ')}: " + (", ".join(f"{escape(d['dag_id'])} (via {escape(', '.join(d['assets']))})"
                                                            for d in links) or "[dim]none[/]"))


def task_command(ref: Annotated[str, typer.Argument(help="DAG_ID.TASK_ID")], db: DbOption = None, as_json: JsonOption = False) -> None:
    """One task: the SQL it runs, the tables it reads and writes, its owners, and its recorded runs."""
    catalog = _open(db)
    dag_id, task_id = split_task(catalog, ref)
    detail = _lookup(lambda: catalog.task(dag_id, task_id), catalog, ref)
    detail["who"] = catalog.who(f"{dag_id}.{task_id}")
    detail["runs"] = task_runs(catalog, detail)
    if as_json:
        print_json(detail)
        return
    console.print(f"[bold]{escape(dag_id)}.{escape(task_id)}[/]  [dim]{escape(detail['operator'])} · {escape(detail['file'])}:{detail['line']}"
                  f" · {detail['status']}[/]")
    _print_who(detail["who"], indent="  ")
    for label in ("reads", "writes"):
        console.print(f"  {label}: " + (escape(", ".join(detail[label])) or "[dim]nothing[/]"))
    for error in detail["errors"]:
        console.print(f"  [yellow]{escape(error)}[/]")
    for path in detail["sql_files"]:
        console.print(f"  sql file: {escape(path)}")
    for index, sql in enumerate(detail["sql"], 1):
        console.print(f"  SQL {index}:")
        console.print("    " + escape(sql.strip()).replace("\n", "\n    "), highlight=False)
    console.print(f"  runs: {len(detail['runs'])} recorded" + ("" if detail["runs"] else " [dim](overlay runs sync, or the plugin)[/]"))
    for run in detail["runs"][:10]:
        console.print(f"    {run['end_date']}  {run['state']}  {escape(run['run_id'])} (try {run['try_number']})")


def who_command(subject: Annotated[str, typer.Argument(help="An asset key or suffix, a DAG id, or DAG_ID.TASK_ID.")],
                db: DbOption = None, as_json: JsonOption = False) -> None:
    """Who to talk to about an asset, a DAG or a task: the owning team and the people named, each with its source."""
    catalog = _open(db)
    answer = _lookup(lambda: catalog.who(subject), catalog, subject)
    if as_json:
        print_json(answer)
        return
    console.print(f"[bold]{escape(answer['id'])}[/] ({answer['kind']})")
    _print_who(answer, indent="  ")


def _print_who(answer: dict[str, Any], indent: str) -> None:
    team = answer["team"]
    console.print(f"{indent}team: " + (f"[bold]{escape(team['name'])}[/]  [dim]{team['rule']}: {escape(team['source'])}[/]" if team
                                       else "[yellow]none found[/]"))
    for person in answer["contacts"]:
        link = f" <{escape(person['link'])}>" if person.get("link") else ""
        console.print(f"{indent}{'owner' if person['role'] == 'owner' else 'contact'}: [bold]{escape(person['name'])}[/]{link}  "
                      f"[dim]{person['rule']}: {escape(person['source'])}[/]")
    if answer.get("note"):
        console.print(f"{indent}[yellow]{escape(answer['note'])}[/]")


def _lookup(query, catalog: Catalog, text: str) -> dict[str, Any]:  # noqa: ANN001 - a zero-argument callable
    try:
        return query()
    except NotFound as e:
        fail(str(e), 1, hint=_dag_hint(catalog))
    except AmbiguousKey as e:
        fail(f"{text!r} matches {len(e.candidates)} assets; use one of:", 1, candidates=e.candidates)
    except UnknownKey:
        fail(f"no asset, DAG or task matches {text!r}", 1, hint=_dag_hint(catalog))
    raise AssertionError("unreachable")


def _dag_hint(catalog: Catalog) -> str:
    ids = [d["dag_id"] for d in catalog.dags()]
    return f"DAGs in the catalog: {', '.join(ids[:20])}{' ...' if len(ids) > 20 else ''}" if ids else "the catalog is empty: run `overlay scan`"


def split_task(catalog: Catalog, ref: str) -> tuple[str, str]:
    """``dag.task`` where either part may contain dots: the split that names a DAG in the catalog."""
    dags = {d["dag_id"] for d in catalog.dags()}
    cuts = [i for i, ch in enumerate(ref) if ch == "."]
    if not cuts:
        fail(f"give a task as DAG_ID.TASK_ID, not {ref!r}", 2)
    for cut in cuts:
        if ref[:cut] in dags:
            return ref[:cut], ref[cut + 1:]
    return ref[:cuts[0]], ref[cuts[0] + 1:]


def in_run_order(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks sorted so each comes after its upstream tasks (ties by task id, as Airflow lists them)."""
    by_id = {t["task_id"]: t for t in tasks}
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []
    pending = sorted(by_id)
    while pending:
        ready = [t for t in pending if all(u in done or u not in by_id for u in by_id[t].get("upstream") or [])] or pending[:1]
        for task_id in ready:
            ordered.append(by_id[task_id])
            done.add(task_id)
        pending = [t for t in pending if t not in done]
    return ordered


def neighbour_dags(catalog: Catalog, dag_id: str) -> dict[str, list[dict[str, Any]]]:
    """DAGs that write what this DAG reads (upstream) and that read what it writes (downstream), with the assets between."""
    tasks = catalog.tasks()
    mine_reads = {k for t in tasks if t["dag_id"] == dag_id for k in t["reads"]}
    mine_writes = {k for t in tasks if t["dag_id"] == dag_id for k in t["writes"]}
    up: dict[str, set[str]] = {}
    down: dict[str, set[str]] = {}
    for task in tasks:
        if task["dag_id"] == dag_id:
            continue
        for key in mine_reads & set(task["writes"]):
            up.setdefault(task["dag_id"], set()).add(key)
        for key in mine_writes & set(task["reads"]):
            down.setdefault(task["dag_id"], set()).add(key)
    return {"upstream_dags": [{"dag_id": d, "assets": sorted(a)} for d, a in sorted(up.items())],
            "downstream_dags": [{"dag_id": d, "assets": sorted(a)} for d, a in sorted(down.items())]}


def task_runs(catalog: Catalog, task: dict[str, Any], limit: int = 50) -> list[dict[str, Any]]:
    """The task's recorded runs (one per run and try, from the materializations of what it writes)."""
    runs: dict[tuple[str, int], dict[str, Any]] = {}
    for key in task["writes"]:
        for m in catalog.materializations(key, limit):
            if m["dag_id"] == task["dag_id"] and m["task_id"] == task["task_id"]:
                runs.setdefault((m["run_id"], m["try_number"]), m)
    return sorted(runs.values(), key=lambda m: str(m["end_date"]), reverse=True)[:limit]
