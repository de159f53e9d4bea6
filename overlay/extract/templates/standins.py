"""Stand-ins for Airflow's template context, so templated SQL renders without a DAG run.

Dates are fixed (logical date 2024-01-15, daily interval) so rendered SQL is stable across scans.
Objects only known at run time (``ti``, ``dag_run``, ``conn``, unknown names) render as
identifier-safe placeholders such as ``ti_xcom_pull`` or ``var_target_schema``. Every placeholder
rendered is recorded (``recording()``), as is the stand-in date when it appears in the output, so
resolution can refuse a table name built from a value nobody knows statically.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import time
import uuid
from typing import Any

import jinja2

LOGICAL_DATE = dt.datetime(2024, 1, 15, tzinfo=dt.timezone.utc)
_UNSAFE = re.compile(r"[^0-9A-Za-z_]")
# attributes Jinja (and its sandbox) probe on objects; a placeholder must not pretend to have them
_PROBED = frozenset({"unsafe_callable", "alters_data", "jinja_pass_arg", "contextfunction", "evalcontextfunction",
                     "environmentfunction", "jinja_async_variant"})


_RECORDERS: list[dict[str, tuple[str, ...]]] = []
SEP = "\x1f"  # joins a placeholder's path (var, aws_configs, redshift_table); rendered as `_`
# the stand-in dates as templates render them (ds, ds_nodash, prev/next, month)
STANDIN_DATES = ("2024-01-15", "20240115", "2024_01_15", "2024-01-14", "20240114", "2024-01-16", "20240116", "202401")


def placeholder_name(name: str) -> str:
    return _UNSAFE.sub("_", name) or "undefined"


def rendered_placeholder(name: str) -> str:
    """A placeholder as it goes into rendered text: recorded with the path it stands for."""
    text = placeholder_name(name)
    if _RECORDERS:
        _RECORDERS[-1].setdefault(text, tuple(name.split(SEP)))
    return text


class recording:  # noqa: N801 - used as `with recording() as used:`
    """Collects the placeholders rendered inside the block."""

    def __enter__(self) -> dict[str, tuple[str, ...]]:
        _RECORDERS.append({})
        return _RECORDERS[-1]

    def __exit__(self, *exc: object) -> None:
        used = _RECORDERS.pop()
        if _RECORDERS:
            for text, path in used.items():
                _RECORDERS[-1].setdefault(text, path)


def describe_standin(text: str, path: tuple[str, ...] | None = None) -> str:
    """What a placeholder stands for, and what would make it known."""
    if text in STANDIN_DATES and not path:
        return f"the run's date (rendered as the stand-in {text}; known only at run time)"
    path = tuple(p for p in (path or (text,)) if p != "()")
    root, rest = path[0], path[1:]
    dotted = ".".join(path)
    if root == "var" and rest:
        key = f"key {'.'.join(rest[1:])}; " if len(rest) > 1 else ""
        return f"Airflow Variable `{rest[0]}` ({key}give it under `variables:` in overlay.yaml)"
    if root == "params" and rest:
        return f"param `{'.'.join(rest)}` (not set on the DAG or the task, or computed at run time)"
    if root in ("ti", "task_instance"):
        return f"`{dotted}` ({'an XCom value, ' if 'xcom_pull' in rest else ''}known only at run time)"
    if root == "dag_run":
        return f"`{dotted}` (known only at run time)"
    if root == "conn":
        return f"`{dotted}` (a field of an Airflow connection, read at run time)"
    if root == "macros":
        return f"macro `{dotted}` (not a macro overlay knows)"
    return f"`{dotted}` (not defined statically: a user_defined_macros entry, plugin macro or Jinja variable)"


class LenientUndefined(jinja2.Undefined):
    """Unknown names render as a placeholder identifier; attributes, items, calls and arithmetic keep going."""

    __slots__ = ()

    def _name(self) -> str:
        return str(self._undefined_name or "undefined")  # its path, joined by SEP

    def __str__(self) -> str:
        return rendered_placeholder(self._name())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in _PROBED:
            raise AttributeError(name)
        return LenientUndefined(name=f"{self._name()}{SEP}{name}")

    def __getitem__(self, key: Any) -> Any:
        return LenientUndefined(name=f"{self._name()}{SEP}{key}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return LenientUndefined(name=self._name())

    def __iter__(self):  # noqa: ANN204
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False

    def __int__(self) -> int:
        return 0

    def __float__(self) -> float:
        return 0.0

    def _keep(self, *args: Any) -> Any:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _keep
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _keep
    __pos__ = __neg__ = __pow__ = __rpow__ = _keep

    def _false(self, other: Any) -> bool:
        return False

    __lt__ = __le__ = __gt__ = __ge__ = _false


class Placeholder:
    """``ti``, ``dag_run``, ``conn``...: known attributes answer; anything else is a placeholder."""

    def __init__(self, name: str, values: dict[str, Any] | None = None) -> None:
        self._name, self._values = name, dict(values or {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in _PROBED:
            raise AttributeError(name)
        if name in self._values:
            return self._values[name]
        if name == "get":
            return self._get
        return Placeholder(f"{self._name}{SEP}{name}")

    def _get(self, key: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
        default = kwargs.get("default_var", kwargs.get("default", default))
        if key in self._values:
            return self._values[key]
        return default if default is not None else Placeholder(f"{self._name}{SEP}{key}")

    def __getitem__(self, key: Any) -> Any:
        return self._values[key] if key in self._values else Placeholder(f"{self._name}{SEP}{key}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return Placeholder(self._name)

    def __iter__(self):  # noqa: ANN204
        return iter(())

    def __str__(self) -> str:
        return rendered_placeholder(self._name)

    def __bool__(self) -> bool:
        return True


class Params(dict):
    """DAG and task params; a missing key is a placeholder (``params_x``), not an error."""

    def __missing__(self, key: Any) -> Any:
        return LenientUndefined(name=f"params{SEP}{key}")


def unwrap_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """Param dicts as serialised (``{"value": x, "description": ...}``) become their values."""
    result: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if isinstance(value, dict) and "value" in value and set(value) <= {"value", "description", "schema", "__class", "source"}:
            value = value["value"]
        result[str(key)] = value
    return result


def ds_add(ds: Any, days: Any) -> str:
    try:
        return (dt.datetime.strptime(str(ds)[:10], "%Y-%m-%d") + dt.timedelta(days=int(float(days)))).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(ds)


def ds_format(ds: Any, input_format: str, output_format: str, *args: Any) -> str:
    try:
        return dt.datetime.strptime(str(ds), str(input_format)).strftime(str(output_format))
    except (TypeError, ValueError):
        return str(ds)


def _macros() -> Placeholder:
    values: dict[str, Any] = {
        "ds_add": ds_add, "ds_format": ds_format, "ds_format_locale": ds_format, "datetime": dt.datetime,
        "timedelta": dt.timedelta, "date": dt.date, "time": time, "uuid": uuid, "random": random.random, "json": json,
        "datetime_diff_for_humans": lambda *a, **k: "1 day ago",
    }
    try:
        import dateutil.relativedelta  # noqa: F401  (Airflow exposes dateutil; only when installed here)
        import dateutil

        values["dateutil"] = dateutil
    except ImportError:
        pass
    return Placeholder("macros", values)


def _date_filters() -> dict[str, Any]:
    def fmt(pattern: str) -> Any:
        return lambda d: d.strftime(pattern) if hasattr(d, "strftime") else str(d)

    return {"ds": fmt("%Y-%m-%d"), "ds_nodash": fmt("%Y%m%d"), "ts": lambda d: d.isoformat() if hasattr(d, "isoformat") else str(d),
            "ts_nodash": fmt("%Y%m%dT%H%M%S"), "ts_nodash_with_tz": lambda d: d.isoformat().replace("-", "").replace(":", "")
            if hasattr(d, "isoformat") else str(d)}


DATE_FILTERS = _date_filters()


def base_context(dag_id: str, dag_folder: str, variables: dict[str, Any], macros: dict[str, Any],
                 connections: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Airflow's template context for one DAG, with fixed dates; ``params`` is merged per task. ``connections``:
    the fields of connections known statically (``connections.template_fields``); the rest are stand-ins."""
    start, end = LOGICAL_DATE, LOGICAL_DATE + dt.timedelta(days=1)
    ds, prev, nxt = start.strftime("%Y-%m-%d"), (start - dt.timedelta(days=1)), end
    run_id = f"scheduled__{start.isoformat()}"
    # `dag.timezone`: the dates are stand-ins in UTC whatever the DAG's zone (`logical_date.astimezone(dag.timezone)`)
    dag = Placeholder("dag", {"dag_id": dag_id, "folder": dag_folder, "owner": "airflow", "timezone": dt.timezone.utc})
    context: dict[str, Any] = {
        "ds": ds, "ds_nodash": ds.replace("-", ""), "ts": start.isoformat(), "ts_nodash": start.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": start.strftime("%Y%m%dT%H%M%S+0000"), "logical_date": start, "execution_date": start,
        "data_interval_start": start, "data_interval_end": end, "prev_data_interval_start_success": prev,
        "prev_data_interval_end_success": start, "prev_start_date_success": prev, "prev_end_date_success": start,
        "next_execution_date": end, "prev_execution_date": prev, "prev_ds": prev.strftime("%Y-%m-%d"),
        "next_ds": nxt.strftime("%Y-%m-%d"), "prev_ds_nodash": prev.strftime("%Y%m%d"), "next_ds_nodash": nxt.strftime("%Y%m%d"),
        "yesterday_ds": prev.strftime("%Y-%m-%d"), "tomorrow_ds": nxt.strftime("%Y-%m-%d"),
        "yesterday_ds_nodash": prev.strftime("%Y%m%d"), "tomorrow_ds_nodash": nxt.strftime("%Y%m%d"),
        "run_id": run_id, "dag": dag,
        "dag_run": Placeholder("dag_run", {"run_id": run_id, "logical_date": start, "dag_id": dag_id, "data_interval_start": start,
                                           "data_interval_end": end, "conf": Placeholder(f"dag_run{SEP}conf")}),
        "macros": _macros(),
        "var": Placeholder("var", {"value": Placeholder("var", variables), "json": Placeholder("var", variables)}),
        "conn": Placeholder("conn", {cid: Placeholder(f"conn{SEP}{cid}", f) for cid, f in (connections or {}).items()}),
        "inlets": [], "outlets": [], "test_mode": False, "map_index_template": None,
    }
    context.update(macros)
    return context


def task_context(base: dict[str, Any], dag_params: dict[str, Any], task_params: dict[str, Any], task_id: str) -> dict[str, Any]:
    """The DAG's context for one task: its params (DAG params overridden by the task's) and its ids."""
    context = dict(base)
    dag_id, run_id = base["dag"].dag_id, base["run_id"]
    context["params"] = Params({**unwrap_params(dag_params), **unwrap_params(task_params)})
    context["task"] = Placeholder("task", {"task_id": task_id, "dag_id": dag_id})
    context["ti"] = context["task_instance"] = Placeholder("ti", {"task_id": task_id, "dag_id": dag_id, "run_id": run_id,
                                                                  "try_number": 1, "map_index": -1, "logical_date": LOGICAL_DATE})
    context["task_instance_key_str"] = f"{dag_id}__{task_id}__{base['ds_nodash']}"
    return context
