"""The HTTP API over real HTTP: routes of INTERFACE.md, errors, pagination, auth, and schemathesis fuzzing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from api_server import running
from overlay.api import create_app
from overlay.catalog import Catalog
from overlay.config import load_settings
from overlay.pipeline import build_catalog

# schema-valid values the API rightly refuses (a NUL byte, a string that is not a date) make positive_data_acceptance moot
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    catalog = Catalog.open(f"sqlite:///{tmp_path_factory.mktemp('api') / 'catalog.db'}")
    build_catalog(catalog, [str(SAMPLE)], "static", load_settings(None, [str(SAMPLE)]), datetime.now(timezone.utc))
    yield catalog
    catalog.close()


@pytest.fixture(scope="module")
def base_url(catalog: Catalog) -> Iterator[str]:
    with running(create_app(catalog, token="")) as url:
        yield url


def get(base_url: str, path: str, **params: object) -> requests.Response:
    return requests.get(base_url + path, params=params, timeout=10)


def test_assets_search_and_pagination(base_url: str) -> None:
    page = get(base_url, "/api/v1/assets", search="orders", limit=2).json()  # ranked: the tables named orders, the used one first
    assert page["total"] == 4 and [a["key"] for a in page["items"]] == ["warehouse:tempo.raw.orders", "warehouse:tempo.legacy.orders"]
    rest = get(base_url, "/api/v1/assets", search="orders", limit=2, offset=2).json()
    assert [a["key"] for a in rest["items"]] == ["warehouse:tempo.dbt_staging.stg_orders", "warehouse:tempo.staging.orders_import"]
    assert [a["key"] for a in get(base_url, "/api/v1/assets", owner="finance-data@tempo.fm").json()["items"]] == [
        "warehouse:tempo.finance.daily_revenue", "warehouse:tempo.finance.okr_dashboard"]


def test_asset_by_suffix_and_errors(base_url: str) -> None:
    asset = get(base_url, "/api/v1/assets/okr_dashboard").json()
    assert asset["key"] == "warehouse:tempo.finance.okr_dashboard"
    assert asset["producers"][0]["task"] == "finance_revenue.build_okr_dashboard" and asset["producers"][0]["line"]
    full = get(base_url, "/api/v1/assets/warehouse:tempo.finance.okr_dashboard")
    assert full.status_code == 200 and full.json()["owners"] == ["finance-data@tempo.fm"]
    missing = get(base_url, "/api/v1/assets/no_such_table")
    assert missing.status_code == 404 and "no asset matches" in missing.json()["error"]
    ambiguous = get(base_url, "/api/v1/assets/orders")
    assert ambiguous.status_code == 409 and ambiguous.json()["candidates"] == ["warehouse:tempo.legacy.orders", "warehouse:tempo.raw.orders"]
    bad = get(base_url, "/api/v1/assets", limit=0)
    assert bad.status_code == 400 and bad.json()["status"] == 400


def test_lineage_answers_where_trial_metrics_come_from(base_url: str) -> None:
    up = get(base_url, "/api/v1/assets/trial_metrics_weekly/lineage", direction="upstream", depth=2).json()
    assert {n["key"] for n in up["nodes"]} == {
        "warehouse:tempo.growth.trial_metrics_weekly", "warehouse:tempo.growth.trial_starts", "warehouse:tempo.raw.plays",
        "warehouse:tempo.raw.subscriptions", "warehouse:tempo.raw.users", "warehouse:tempo.staging.plays_import"}
    assert get(base_url, "/api/v1/assets/raw.plays/lineage").status_code == 409  # raw.plays exists in Postgres and BigQuery
    down = get(base_url, "/api/v1/assets/warehouse:tempo.raw.plays/lineage", direction="downstream", depth=1).json()
    assert {e["via"] for e in down["edges"]} >= {"growth_trial_metrics.build_trial_metrics_weekly", "platform_ingest_core.rollup_sessions"}
    assert get(base_url, "/api/v1/assets/raw.plays/lineage", direction="sideways").status_code == 400


def test_dags_tasks_owners_graph(base_url: str) -> None:
    dags = get(base_url, "/api/v1/dags").json()
    assert dags["total"] == 13
    dag = get(base_url, "/api/v1/dags/growth_lead_scoring").json()
    assert {t["task_id"]: t["status"] for t in dag["tasks"]} == {
        "extract_features": "resolved", "score_leads": "resolved", "export_segment": "partial"}
    task = get(base_url, "/api/v1/tasks/growth_lead_scoring/export_segment").json()
    assert "not known statically" in task["errors"][0] and "crm_segment_table" in task["errors"][0]
    assert get(base_url, "/api/v1/tasks/growth_lead_scoring/nope").status_code == 404
    owners = get(base_url, "/api/v1/owners").json()
    assert "warehouse:tempo.finance.daily_revenue" in {a["key"] for a in owners["assets"]}
    graph = get(base_url, "/api/v1/graph").json()
    assert set(graph) >= {"assets", "tasks", "edges", "dags", "errors"}
    assert get(base_url, "/openapi.json").json()["info"]["title"] == "overlay"


def test_bearer_token(catalog: Catalog) -> None:
    with running(create_app(catalog, token="s3cret")) as url:
        assert requests.get(f"{url}/api/v1/dags", timeout=10).status_code == 401
        assert requests.get(f"{url}/api/v1/dags", headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401
        assert requests.get(f"{url}/api/v1/dags", headers={"Authorization": "Bearer s3cret"}, timeout=10).status_code == 200
        assert requests.get(f"{url}/health", timeout=10).status_code == 200


def test_no_generated_request_gets_a_server_error(base_url: str) -> None:
    """schemathesis generates requests for every operation of the OpenAPI spec; none may get a 5xx, every response
    has a documented status and matches its typed model, and no operation documents FastAPI's 422."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    document = requests.get(f"{base_url}/openapi.json", timeout=10).json()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert "422" not in operation["responses"], (method, path)
            assert operation.get("description") or operation.get("summary"), (method, path)
            assert "$ref" in str(operation["responses"]["200"]), (method, path)  # a typed response model
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case) -> None:  # noqa: ANN001
            response = case.call()
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
            case.validate_response(response, checks=CONFORMANCE)  # status documented, body matches the typed model
            content_type = response.headers.get("content-type") or [""]
            assert (content_type[0] if isinstance(content_type, list) else content_type).startswith("application/json")

        no_server_error()


def test_cost_route(base_url: str, catalog: Catalog) -> None:
    from overlay.attribution.attribute import CostModel
    from overlay.attribution.history import read_history

    catalog.ingest_queries(read_history(Path(__file__).parent / "fixtures" / "history" / "bigquery_jobs.jsonl", "bigquery"), CostModel())
    report = get(base_url, "/api/v1/cost", by="task").json()
    assert report["groups"][0]["group"] == "content_artist_stats.build_artist_daily_stats"
    assert get(base_url, "/api/v1/cost", by="task", compare="previous").status_code == 400  # needs since and until
    assert get(base_url, "/api/v1/cost", by="galaxy").status_code == 400
    assert get(base_url, "/api/v1/cost", since="yesterday-ish").status_code < 500


def test_who_answers_for_an_asset_a_dag_and_a_task(base_url: str) -> None:
    asset = get(base_url, "/api/v1/who/lead_scores").json()
    assert asset["kind"] == "asset" and asset["id"] == "warehouse:tempo.growth.lead_scores"
    assert asset["team"]["name"] == "@tempo/growth-data" and asset["team"]["source"].endswith("CODEOWNERS:3")
    assert ("growth-data", "contact", "dag owner") in {(c["name"], c["role"], c["rule"]) for c in asset["contacts"]}
    dag = get(base_url, "/api/v1/who/growth_lead_scoring").json()
    assert dag["kind"] == "dag" and dag["team"] == asset["team"]
    # the DAG route names the same people as the asset it writes
    detail = get(base_url, "/api/v1/dags/growth_lead_scoring").json()
    assert {c["owner"] for c in detail["ownership"]} == {c["name"] for c in dag["contacts"]} == {"@tempo/growth-data", "growth-data"}
    task = get(base_url, "/api/v1/who/growth_trial_metrics.build_trial_metrics_weekly").json()
    maria = next(c for c in task["contacts"] if c["name"] == "maria")
    assert task["kind"] == "task" and maria["link"] == "mailto:maria@tempo.fm"
    assert get(base_url, "/api/v1/who/orders").status_code == 409
    missing = get(base_url, "/api/v1/who/no_such_thing")
    assert missing.status_code == 404  # the route answers for DAGs and tasks too, and says so as `overlay who` does
    assert missing.json()["error"] == "no asset, DAG or task matches 'no_such_thing'"


def test_graph_select_and_group_by(base_url: str) -> None:
    flat = requests.get(f"{base_url}/api/v1/graph", params={"select": "+okr_dashboard and not schema:staging"}, timeout=30)
    assert flat.status_code == 200, flat.text
    body = flat.json()
    keys = {n["id"] for n in body["nodes"]}
    assert "warehouse:tempo.finance.okr_dashboard" in keys and "warehouse:tempo.raw.orders" in keys
    assert not any(".staging." in k for k in keys) and body["edges"]
    grouped = requests.get(f"{base_url}/api/v1/graph", params={"select": "+okr_dashboard", "group_by": "dag"}, timeout=30).json()
    assert {"finance_revenue", "growth_trial_metrics"} <= {n["id"] for n in grouped["nodes"] if n["group"]}
    bad = requests.get(f"{base_url}/api/v1/graph", params={"select": "okr_dashboard and"}, timeout=30)
    assert bad.status_code == 400 and "ends where" in bad.json()["error"]
    assert requests.get(f"{base_url}/api/v1/graph", params={"group_by": "dag"}, timeout=30).status_code == 400
