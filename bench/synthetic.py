"""Synthetic scan results at any size, for the scale benchmark and the concurrency tests (no DAG files parsed).

Source ``i`` has ``dags`` DAGs of ``tasks_per_dag`` tasks. Task ``t`` of a DAG reads one of ``shared``
raw tables every source reads (namespace ``wh``), reads the table its previous task wrote, and writes its
own table; every ``cross_every``-th DAG also reads a table another source writes, so lineage crosses
sources. The shape is deterministic in (source index, ``variant``).
"""

from __future__ import annotations

from overlay.model import AssetRef, DagSpec, FileRecord, ResolvedTask, ScanResult


def source_name(index: int) -> str:
    return f"deploy-{index:02d}"


def written(index: int, dag: int, task: int) -> str:
    return f"wh:{source_name(index).replace('-', '_')}.d{dag}_t{task}"


def synthetic_result(index: int, dags: int = 10, tasks_per_dag: int = 5, shared: int = 100, sources: int = 2,
                     cross_every: int = 5, variant: int = 0) -> ScanResult:
    name = source_name(index)
    result = ScanResult(folders=[f"/dags/{name}"], git_commit=f"{index:02d}{variant:038d}")
    assets: dict[str, AssetRef] = {}
    for d in range(dags):
        dag_id = f"dag_{d}"
        path = f"/dags/{name}/{dag_id}.py"
        result.dags.append(DagSpec(dag_id, path, line=1, owners=[f"team-{index}"], tags=[f"v{variant}"]))
        for t in range(tasks_per_dag):
            reads = [f"wh:raw.shared_{(index * 7919 + d * tasks_per_dag + t) % shared}"]
            if t:
                reads.append(written(index, d, t - 1))
            if t == 0 and d % cross_every == 0 and sources > 1:
                reads.append(written((index + 1) % sources, d, tasks_per_dag - 1))  # another source's output
            writes = [written(index, d, t)]
            result.tasks.append(ResolvedTask(dag_id, f"t{t}", "SQLExecuteQueryOperator", path, 10 + t, f"team-{index}", "resolved",
                                             reads=reads, writes=writes, edges=[[r, w] for r in reads for w in writes],
                                             sql=[f"INSERT INTO {writes[0]} SELECT * FROM {reads[0]} -- v{variant}"]))
            for key in reads + writes:
                assets.setdefault(key, AssetRef(*key.split(":", 1)))
        result.files.append(FileRecord(path, f"{index}-{d}-{variant}", "static", [dag_id], payload={"content_hash": f"{index}-{d}"},
                                       payload_digest=f"{index}-{d}-{variant}"))
    result.assets = sorted(assets.values(), key=lambda a: a.key)
    return result
