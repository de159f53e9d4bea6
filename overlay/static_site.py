"""``overlay export --format html OUT/``: the catalog as a static site, like dbt docs, for a CI artifact.

The site is the UI's committed bundle (``overlay.ui.dist_dir()``) with ``index.html`` set to ``{"mode": "static"}``,
and ``data/catalog.js``: ``window.OVERLAY_STATIC = {"responses", "assets", "graph", "generated_at"}`` (the contract in
ui-contract.md). Every response is the real API's answer, asked in-process (``overlay.api.create_app``), so the
static site and a live server say the same. The data is a classic script, so the site works opened from disk
(file://) where a browser fetches no JSON. ``OUT`` must be missing, empty, or an earlier export (its marker file
lists what it wrote, and only that is replaced).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

from overlay import __version__

MARKER = "overlay-export.json"
DATA_SCRIPT = "data/catalog.js"
PAGE = 1000  # list items per request while paging through the API
GRAPH_PAGE = 5000
CONCURRENCY = 8
SITE_ROUTES = ("/api/v1/summary", "/api/v1/owners", "/api/v1/stale", "/api/v1/coverage", "/api/v1/sources")
COST_BY = ("asset", "owner", "dag", "task")


class ExportError(Exception):
    """The site cannot be written where asked (the message says why and what to do)."""


@dataclass
class SiteSummary:
    out: Path
    assets: int
    dags: int
    tasks: int
    responses: int
    bytes: int
    skipped: list[str] = field(default_factory=list)  # "<path>: <status> <error>" of requests the API refused

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "assets": self.assets, "dags": self.dags, "tasks": self.tasks, "responses": self.responses,
                "bytes": self.bytes, "skipped": self.skipped}


# --- pure parts ---------------------------------------------------------------------------------------

def response_key(path: str, params: dict[str, Any] | None = None) -> str:
    """How the static client looks an answer up: the path, then ``?`` and the parameters sorted by name."""
    given = sorted((k, str(v)) for k, v in (params or {}).items() if v is not None and v != "")
    return f"{path}?{urlencode(given)}" if given else path


def segment(text: str) -> str:
    """One path segment as the UI writes it (JavaScript's encodeURIComponent): ``warehouse:a.b`` -> ``warehouse%3Aa.b``."""
    return quote(text, safe="-_.!~*'()")


def entity_paths(asset_keys: Iterable[str], dag_ids: Iterable[str], tasks: Iterable[tuple[str, str]]) -> list[str]:
    """The per-asset, per-DAG and per-task answers the UI's pages ask for, each id encoded as one segment."""
    paths: list[str] = []
    for key in map(segment, asset_keys):
        paths += [f"/api/v1/assets/{key}", f"/api/v1/assets/{key}/materializations", f"/api/v1/assets/{key}/cost",
                  f"/api/v1/assets/{key}/lineage", f"/api/v1/who/{key}"]
    for dag_id in dag_ids:
        paths += [f"/api/v1/dags/{segment(dag_id)}", f"/api/v1/who/{segment(dag_id)}"]
    for dag_id, task_id in tasks:
        paths += [f"/api/v1/tasks/{segment(dag_id)}/{segment(task_id)}", f"/api/v1/who/{segment(f'{dag_id}.{task_id}')}"]
    return paths


def merge_graph_pages(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole graph from its pages: assets and edges concatenated; tasks, DAGs and cross-DAG links once each."""
    if not pages:
        return {"total": 0, "limit": 0, "offset": 0, "assets": [], "tasks": [], "edges": [], "dags": [], "cross_dag": [], "errors": []}
    whole: dict[str, Any] = {"total": pages[0]["total"], "limit": pages[0]["total"], "offset": 0,
                             "assets": [], "tasks": [], "edges": [], "dags": [], "cross_dag": [], "errors": pages[0].get("errors", [])}
    seen: dict[str, set[str]] = {"tasks": set(), "dags": set(), "cross_dag": set()}
    for page in pages:
        whole["assets"] += page["assets"]
        whole["edges"] += page["edges"]
        for name in ("tasks", "dags", "cross_dag"):
            for item in page.get(name, []):
                identity = json.dumps(item, sort_keys=True, default=str)
                if identity not in seen[name]:
                    seen[name].add(identity)
                    whole[name].append(item)
    return whole


def data_script(data: dict[str, Any]) -> str:
    """``data/catalog.js``: a classic script defining ``window.OVERLAY_STATIC`` (safe to inline: no ``</script>``)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"window.OVERLAY_STATIC = {text};\n"


def static_index(html: str) -> str:
    """The bundle's index.html in static mode, loading the data script before the bundle's own."""
    from overlay.ui import CONFIG_TAG

    if not CONFIG_TAG.search(html):
        raise ExportError("the UI bundle's index.html has no <script id=\"overlay-config\"> placeholder: rebuild ui/")
    return CONFIG_TAG.sub(lambda m: m.group(1) + json.dumps({"mode": "static"}) + m.group(3)
                          + f'\n    <script src="./{DATA_SCRIPT}"></script>', html, count=1)


def previous_export(out: Path) -> list[str]:
    """What an earlier export into ``out`` wrote (to replace); [] for a missing or empty folder; ExportError otherwise."""
    if not out.exists():
        return []
    if not out.is_dir():
        raise ExportError(f"{out} exists and is not a folder: give a new or empty folder for the site")
    if not any(out.iterdir()):
        return []
    marker = out / MARKER
    try:
        written = json.loads(marker.read_text(encoding="utf-8"))
        if written.get("generator") != "overlay export --format html":
            raise ValueError("not an overlay export")
        files = [str(f) for f in written["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        raise ExportError(f"{out} is not empty and is not an earlier `overlay export --format html` (no valid {MARKER}): "
                          "give a new or empty folder, or remove it first") from None
    for name in files:
        target = (out / name).resolve()
        if out.resolve() not in target.parents:
            raise ExportError(f"{marker} lists {name!r}, outside {out}: remove the folder yourself")
    return files


# --- I/O: asking the API in-process, writing the folder ----------------------------------------------

async def _get(app: Any, path: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One GET of an encoded ``path`` through the ASGI app, as a loopback client (no token: the app is made without one)."""
    query = urlencode(sorted((k, str(v)) for k, v in (params or {}).items() if v is not None)).encode()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": unquote(path), "raw_path": path.encode("ascii"), "query_string": query, "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"accept", b"application/json")],
             "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 80)}
    status, chunks = 500, []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    body = b"".join(chunks)
    return status, json.loads(body) if body else None


async def _pages(app: Any, path: str, items: str, size: int) -> list[dict[str, Any]]:
    pages, offset = [], 0
    while True:
        status, body = await _get(app, path, {"limit": size, "offset": offset})
        if status != 200:
            raise ExportError(f"GET {path}: {status} {body.get('error') if isinstance(body, dict) else body}")
        pages.append(body)
        offset += size
        if offset >= body["total"] or not body[items]:
            return pages


async def _collect(app: Any) -> tuple[dict[str, Any], list[str]]:
    asset_pages = await _pages(app, "/api/v1/assets", "items", PAGE)
    dag_pages = await _pages(app, "/api/v1/dags", "items", PAGE)
    graph = merge_graph_pages(await _pages(app, "/api/v1/graph", "assets", GRAPH_PAGE))
    assets = [a for page in asset_pages for a in page["items"]]
    dags = [d for page in dag_pages for d in page["items"]]
    responses: dict[str, Any] = {"/api/v1/dags": {"total": len(dags), "limit": len(dags), "offset": 0, "items": dags}}
    requests: list[tuple[str, dict[str, Any] | None]] = [(p, None) for p in SITE_ROUTES]
    requests += [("/api/v1/cost", None)] + [("/api/v1/cost", {"by": by}) for by in COST_BY]
    dag_ids = sorted({d["dag_id"] for d in dags})
    requests += [(p, None) for p in entity_paths([a["key"] for a in assets], dag_ids, [])]
    skipped: list[str] = []
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(path: str, params: dict[str, Any] | None) -> None:
        async with limit:
            status, body = await _get(app, path, params)
        if status == 200:
            responses[response_key(path, params)] = body
        else:
            skipped.append(f"{response_key(path, params)}: {status} {body.get('error') if isinstance(body, dict) else ''}")

    await asyncio.gather(*(one(p, q) for p, q in requests))
    # every task of every DAG (those touching no table too), as the DAG pages list them
    tasks = sorted({(d, t["task_id"]) for d in dag_ids for t in (responses.get(f"/api/v1/dags/{segment(d)}") or {}).get("tasks", [])}
                   | {(t["dag_id"], t["task_id"]) for t in graph["tasks"]})
    await asyncio.gather(*(one(p, None) for p in entity_paths([], [], tasks)))
    data = {"responses": dict(sorted(responses.items())), "assets": assets, "graph": graph,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    return data, sorted(skipped)


def _run_to_end(coroutine: Any) -> Any:
    """Run ``coroutine()`` on a loop of its own: in this thread, or in another one when this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine())).result()


def write_site(catalog: Any, out: Path) -> SiteSummary:
    """Write the site into ``out`` (see the module's docstring); raises ExportError when it cannot."""
    from overlay.api import create_app
    from overlay.ui import dist_dir

    dist = dist_dir()
    index = dist / "index.html"
    if not index.is_file():
        raise ExportError(f"the UI bundle is missing ({index}): reinstall overlay, or build it with `npm ci && npm run build` in ui/")
    html = static_index(index.read_text(encoding="utf-8"))
    old_files = previous_export(out)
    data, skipped = _run_to_end(lambda: _collect(create_app(catalog, token="")))
    script = data_script(data)
    for name in old_files:
        (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(p for p in dist.rglob("*") if p.is_file() and p.name != "index.html"):
        relative = source.relative_to(dist).as_posix()
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out / relative)
        written.append(relative)
    (out / "index.html").write_text(html, encoding="utf-8")
    (out / DATA_SCRIPT).parent.mkdir(parents=True, exist_ok=True)
    (out / DATA_SCRIPT).write_text(script, encoding="utf-8")
    written += ["index.html", DATA_SCRIPT]
    (out / MARKER).write_text(json.dumps({"generator": "overlay export --format html", "version": __version__,
                                          "generated_at": data["generated_at"], "files": sorted(written)}, indent=1) + "\n",
                              encoding="utf-8")
    return SiteSummary(out, len(data["assets"]), len(data["responses"]["/api/v1/dags"]["items"]),
                       sum(1 for k in data["responses"] if k.startswith("/api/v1/tasks/")), len(data["responses"]),
                       len(script.encode("utf-8")), skipped)
