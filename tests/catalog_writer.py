"""A separate process writing one catalog, for the concurrency tests: ``store`` one source's synthetic scan, or record ``runs``.

python tests/catalog_writer.py store URL SOURCE_INDEX VARIANT [DAGS] · python tests/catalog_writer.py runs URL SOURCE DAG TASK N
Prints one JSON line: what was stored or recorded, and when the write started and ended (time.time()).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from synthetic import source_name, synthetic_result  # noqa: E402

from overlay.catalog import Catalog  # noqa: E402
from overlay.model import TaskRun  # noqa: E402


def main(argv: list[str]) -> None:
    command, url = argv[0], argv[1]
    catalog = Catalog.open(url)
    started = time.time()
    if command == "store":
        index, variant = int(argv[2]), int(argv[3])
        dags = int(argv[4]) if len(argv) > 4 else 20
        result = synthetic_result(index, dags=dags, tasks_per_dag=5, shared=50, sources=4, variant=variant)
        summary = catalog.store_scan(result, mode="static", source=source_name(index))
        out = {"source": source_name(index), "variant": variant, **summary.to_dict()}
    else:
        source, dag, task, n = argv[2], argv[3], argv[4], int(argv[5])
        runs = [TaskRun(dag, task, f"run_{i}", 1, "success", "2026-11-30T00:00:00+00:00", "2026-11-30T00:01:00+00:00",
                        "airflow-listener", source) for i in range(n)]
        out = catalog.record_runs(runs)
    print(json.dumps({**out, "started": started, "ended": time.time()}))
    catalog.close()


if __name__ == "__main__":
    main(sys.argv[1:])
