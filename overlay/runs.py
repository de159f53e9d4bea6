"""``overlay runs sync``: task instances from a running Airflow's REST API v2, recorded as materializations.

Authenticates with a JWT from ``POST /auth/token`` (the response's ``access_token``, or
``jwt_token`` on some deployments) or a token given directly; pages through
``/api/v2/dags/~/dagRuns/~/taskInstances``; retries with backoff on 429/5xx and connection errors;
and resumes from the newest end date it recorded for that Airflow (incremental).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from overlay.model import TaskRun

FINISHED = ("success", "failed", "upstream_failed", "skipped", "removed")
PAGE = 100
OVERLAP = timedelta(minutes=5)  # re-read a little before the last seen end date; recording is idempotent


class AirflowAPIError(RuntimeError):
    """Airflow's API refused or failed; the message says what to fix."""


@dataclass
class AirflowClient:
    base_url: str
    username: str | None = None
    password: str | None = None
    token: str | None = None
    timeout: float = 30.0
    retries: int = 4

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session = requests.Session()
        retry = Retry(total=self.retries, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
                      allowed_methods=frozenset({"GET", "POST"}), raise_on_status=False)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def authenticate(self) -> None:
        if not self.token:
            if not (self.username and self.password):
                raise AirflowAPIError("give --token, or --user and --password, for Airflow's API")
            response = self._request("POST", "/auth/token", json={"username": self.username, "password": self.password})
            if response.status_code in (401, 403):
                raise AirflowAPIError(f"Airflow at {self.base_url} rejected the credentials of user {self.username!r} "
                                      f"(HTTP {response.status_code})")
            self._check(response, "/auth/token")
            data = response.json()
            self.token = data.get("access_token") or data.get("jwt_token")
            if not self.token:
                raise AirflowAPIError(f"{self.base_url}/auth/token answered without access_token or jwt_token")
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def task_instances(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Finished task instances of every DAG run, oldest end date first, page by page."""
        offset = 0
        params: dict[str, Any] = {"limit": PAGE, "order_by": "end_date"}
        if since is not None:
            params["end_date_gte"] = since.isoformat()
        while True:
            path = "/api/v2/dags/~/dagRuns/~/taskInstances"
            response = self._request("GET", path, params={**params, "offset": offset})
            if response.status_code in (401, 403):
                raise AirflowAPIError(f"Airflow at {self.base_url} refused {path} (HTTP {response.status_code}): "
                                      "check the token or the user's permissions")
            self._check(response, path)
            data = response.json()
            items = data.get("task_instances", [])
            yield from items
            offset += len(items)
            if not items or offset >= data.get("total_entries", 0):
                return

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as e:
            raise AirflowAPIError(f"cannot reach Airflow at {self.base_url}: {type(e).__name__}: {e}") from e

    def _check(self, response: requests.Response, path: str) -> None:
        if response.status_code >= 400:
            raise AirflowAPIError(f"Airflow answered HTTP {response.status_code} to {path}: {response.text[:300]}")


def task_run(instance: dict[str, Any], source: str, source_name: str = "default") -> TaskRun | None:
    if instance.get("state") not in FINISHED or not instance.get("end_date"):
        return None
    return TaskRun(dag_id=instance["dag_id"], task_id=instance["task_id"], run_id=instance.get("dag_run_id") or instance.get("run_id", ""),
                   try_number=int(instance.get("try_number") or 1), state=instance["state"], start_date=instance.get("start_date"),
                   end_date=instance["end_date"], source=source, source_name=source_name)


def sync_runs(catalog: Any, client: AirflowClient, source_name: str, batch: int = 1000) -> dict[str, Any]:
    """Pull finished task instances since the last sync from this Airflow and record them as runs of ``source_name``
    (only that source's tasks match: two deployments may both have a ``daily_revenue.load`` task)."""
    source = f"airflow-api:{client.base_url}"
    last = catalog.last_run_end(source, source_name)
    since = last - OVERLAP if last else None
    client.authenticate()
    totals = {"runs": 0, "materializations": 0, "unknown_tasks": 0, "no_writes": 0}
    pending: list[TaskRun] = []
    for instance in client.task_instances(since):
        run = task_run(instance, source, source_name)
        if run is not None:
            pending.append(run)
        if len(pending) >= batch:
            _add(totals, catalog.record_runs(pending))
            pending = []
    _add(totals, catalog.record_runs(pending))
    catalog.record_run_sync(source_name, client.base_url)
    return {**totals, "since": since.isoformat() if since else None, "source": source, "source_name": source_name}


def _add(totals: dict[str, int], counts: dict[str, int]) -> None:
    for key in totals:
        totals[key] += counts.get(key, 0)
