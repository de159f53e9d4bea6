"""Every field a route returns is in its typed response model, and every documented error status is what the route
answers (400 for a bad parameter, never FastAPI's 422): real responses over real HTTP walked against /openapi.json.

The models allow extra fields (overlay/api/models.py), so a field a route adds would otherwise pass schemathesis'
conformance check while the schema never names it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from api_server import running
from overlay.api import create_app
from overlay.catalog import Catalog
from overlay.config import load_settings
from overlay.model import TaskRun
from overlay.pipeline import build_catalog

SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"
HISTORY = Path(__file__).resolve().parent / "fixtures" / "history"
# a request per operation of the schema; a route added without one here fails test_every_operation_is_walked
REQUESTS = {
    "/health": [""],
    "/api/v1/summary": [""],
    "/api/v1/coverage": [""],
    "/api/v1/assets": ["", "?search=orders"],
    "/api/v1/assets/{key}": ["raw.orders", "finance.okr_dashboard", "legacy.orders"],
    "/api/v1/assets/{key}/lineage": ["raw.orders"],
    "/api/v1/assets/{key}/materializations": ["raw.orders"],
    "/api/v1/assets/{key}/cost": ["snowflake:analytics.finance.revenue_report"],
    "/api/v1/dags": [""],
    "/api/v1/dags/{dag_id}": ["growth_trial_metrics"],
    "/api/v1/tasks/{dag_id}/{task_id}": ["platform_raw_commerce/copy_orders"],
    "/api/v1/owners": ["", "?key=lead_scores"],
    "/api/v1/who/{subject}": ["lead_scores", "growth_trial_metrics", "growth_trial_metrics.build_trial_starts", "staging.users_import"],
    "/api/v1/stale": [""],
    "/api/v1/cost": ["", "?by=task&since=2020-01-01&until=2030-01-01&compare=previous"],
    "/api/v1/graph": ["", "?select=%2Bokr_dashboard&group_by=dag"],
    "/api/v1/graph/path": ["?from=raw.orders&to=okr_dashboard"],
    "/api/v1/sources": [""],
    "/api/v1/sources/{name}": ["sample"],
}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """sample_dags with a recorded run and attributed queries, so runs, last materializations and costs are not empty."""
    from overlay.attribution.attribute import CostModel
    from overlay.attribution.history import read_history

    catalog = Catalog.open(f"sqlite:///{tmp_path_factory.mktemp('schema') / 'catalog.db'}")
    build_catalog(catalog, [str(SAMPLE)], "static", load_settings(None, [str(SAMPLE)]), datetime.now(timezone.utc), source="sample")
    end = datetime.now(timezone.utc) - timedelta(hours=1)
    catalog.record_runs([TaskRun("platform_raw_commerce", "copy_orders", "scheduled__1", 1, "success",
                                 (end - timedelta(minutes=5)).isoformat(), end.isoformat(), source_name="sample")])
    catalog.ingest_queries(read_history(HISTORY / "snowflake_query_history.csv", "snowflake"), CostModel())
    try:
        with running(create_app(catalog, token="")) as url:
            yield url
    finally:
        catalog.close()


def undeclared(value: Any, schema: dict, schemas: dict, where: str) -> set[str]:
    """The fields of ``value`` its schema does not declare, as dotted paths."""
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    options = [o for o in schema.get("anyOf", schema.get("oneOf", [])) if o.get("type") != "null"]
    if options:
        if value is None:
            return set()
        return min((undeclared(value, option, schemas, where) for option in options), key=len)
    found: set[str] = set()
    if isinstance(value, dict) and "properties" in schema:
        for name, item in value.items():
            if name not in schema["properties"]:
                found.add(f"{where}.{name}")
            else:
                found |= undeclared(item, schema["properties"][name], schemas, f"{where}.{name}")
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            found |= undeclared(item, schema["items"], schemas, f"{where}[]")
    return found


def fill(template: str, value: str) -> str:
    if "{" not in template:
        return template + value
    if template.count("{") == 2:
        dag, task = value.split("/")
        return template.replace("{dag_id}", dag).replace("{task_id}", task)
    return re.sub(r"\{[^}]+\}", value, template)


def test_every_operation_is_walked(base_url: str) -> None:
    paths = requests.get(f"{base_url}/openapi.json", timeout=10).json()["paths"]
    assert sorted(paths) == sorted(REQUESTS)


def test_every_field_a_route_returns_is_in_its_typed_model(base_url: str) -> None:
    document = requests.get(f"{base_url}/openapi.json", timeout=10).json()
    schemas = document["components"]["schemas"]
    missing: dict[str, set[str]] = {}
    for template, values in REQUESTS.items():
        schema = document["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        for value in values:
            response = requests.get(base_url + fill(template, value), timeout=30)
            assert response.status_code == 200, (template, value, response.text)
            gaps = undeclared(response.json(), schema, schemas, template)
            if gaps:
                missing[f"{template} {value}"] = gaps
    assert not missing, "fields returned but not in the OpenAPI schema:\n" + "\n".join(f"{k}: {sorted(v)}" for k, v in missing.items())


def test_every_parameter_is_described_and_a_bad_one_is_a_documented_400(base_url: str) -> None:
    document = requests.get(f"{base_url}/openapi.json", timeout=10).json()
    for template, methods in document["paths"].items():
        operation = methods["get"]
        assert "422" not in operation["responses"], template
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), f"{template}: parameter {parameter['name']!r} has no description"
    response = requests.get(f"{base_url}/api/v1/dags", params={"limit": "many"}, timeout=10)
    assert response.status_code == 400 and "400" in document["paths"]["/api/v1/dags"]["get"]["responses"]
    assert response.json()["details"] == [{"parameter": "limit", "problem": "Input should be a valid integer, unable to parse string as an integer"}]
