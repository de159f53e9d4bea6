"""Hostile DAG files for static mode (issue 10 §2, §4): bounded work, one file never fails the scan.

Each case writes a small repository with the hostile file and a good DAG, scans it statically in this
process and fails when the scan raised, lost the good DAG, produced a record that is not JSON, or
stayed silent about a file it could not read whole. The runner adds the time and memory limits.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

HEADER = "from airflow import DAG\nfrom airflow.providers.standard.operators.bash import BashOperator\n"
GOOD = HEADER + "with DAG('good_dag') as dag:\n    BashOperator(task_id='t', bash_command='echo')\n"


def check_static_file(source: str, modules: dict[str, str] | None = None, expect_error: bool = True) -> str | None:
    from overlay.scan import scan_folders

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        dags = repo / "dags"
        dags.mkdir(parents=True)
        (repo / ".git").mkdir()
        for name, text in (modules or {}).items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
        if "FIFO" in source:
            os.mkfifo(dags / "pipe.yml")
        (dags / "hostile.py").write_text(HEADER + source)
        (dags / "good.py").write_text(GOOD)
        try:
            result = scan_folders([str(dags)], mode="static")
        except BaseException as e:  # noqa: BLE001 - what the case measures
            return f"the scan raised {type(e).__name__}: {str(e)[:200]}"
        if "good_dag" not in {d.dag_id for d in result.dags}:
            return "the good DAG beside the hostile file was lost"
        try:
            json.dumps(result.to_dict())
        except (TypeError, ValueError) as e:
            return f"a record is not JSON data: {e}"
        if expect_error and not any(e.file.endswith("hostile.py") for e in result.errors):
            return "the hostile file was cut short without a reported error"
    return None


_CASES: list[tuple[str, str, dict[str, str] | None]] = [
    ("range(100_000_000)", "N = range(100_000_000)\n", None),
    ("'x' * 3_000_000_000", "S = 'x' * 3_000_000_000\n", None),
    ("f'{1:2000000000}'", "F = f'{1:2000000000}'\n", None),
    ("'%0999999999d' % 1", "P = '%0999999999d' % 1\n", None),
    ("list * 10**9", "L = [0] * 1_000_000_000\n", None),
    ("join of 10 MB", "J = ','.join([('x' * 1000)] * 10_000)\n", None),
    ("nested comprehension 25M", "C = [i for i in range(5000) for j in range(5000)]\n", None),
    ("str.replace blow-up", "R = ('a' * 5_000_000).replace('a', 'aaaa')\n", None),
    ("int squaring", "B = 2000\nfor _ in range(40):\n    B = B * B\n", None),
    ("recursive function in a loop", "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nfor i in range(10_000):\n    x = f(30)\n", None),
    ("3,000-term concatenation", "X = " + " + ".join(["'a'"] * 3000) + "\n", None),
    ("deeply nested lists", "X = " + "[" * 150 + "1" + "]" * 150 + "\n", None),
    ("1,000,000-iteration loop of tasks", "with DAG('big') as d:\n    for i in range(1_000_000):\n        BashOperator(task_id=f't{i}', bash_command='echo')\n", None),
    ("dag_id from an unknown module", "from elsewhere import PREFIX\nfrom airflow.sdk import dag\n@dag(dag_id=f'{PREFIX}_daily')\ndef d():\n    pass\nd()\n", None),
    ("class whose __init__ makes instances of itself", "class A:\n    def __init__(self, n=0):\n        self.child = A(n + 1)\n"
     "        self.items = [A(i) for i in range(1000)]\nROOT = A()\n", None),
    ("method calling itself on an instance", "class A:\n    def __init__(self):\n        self.n = 1\n"
     "    def grow(self, k):\n        return self.grow(k + 1) + self.grow(k + 2)\nA_ = A()\nX = A_.grow(0)\n", None),
    ("property defined by itself", "from dataclasses import dataclass\n@dataclass\nclass C:\n    a: str\n"
     "    @property\n    def b(self):\n        return self.b + self.b\n    def m(self):\n        return 1\n"
     "for i in range(100_000):\n    x = C('v').b\n", None),
    ("string.Template substitution blow-up", "from string import Template\n"
     "X = Template('$a' * 100_000).safe_substitute(a='x' * 100_000)\n", None),
    ("import cycle", "from pkg.a import X\n", {"dags/pkg/__init__.py": "", "dags/pkg/a.py": "from pkg.b import Y\nX = 1\n",
                                                 "dags/pkg/b.py": "from pkg.a import X\nY = 2\n"}),
    ("hostile imported module", "from helpers import VALUE\n", {"dags/helpers.py": "VALUE = 'x' * 3_000_000_000\n"}),
    ("reading a FIFO in the repository", "import os, yaml\n# FIFO\nCFG = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), 'pipe.yml')))\n", None),
    ("listing outside the repository", "import os\nfor name in os.listdir('/etc'):\n    pass\n", None),
    ("YAML alias bomb", "import yaml, os\nCFG = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), 'bomb.yml')))\n",
     {"dags/bomb.yml": "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
         f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
         for i in range(8))}),
]


def cases() -> Iterator[tuple[str, str, Callable[[], str | None]]]:
    for name, source, modules in _CASES:
        expect = name not in ("import cycle",)
        yield ("static", name, lambda s=source, m=modules, e=expect: check_static_file(s, m, e))
