"""``GET /api/v1/who/{x}``: who to talk to about an asset, a DAG or a task (the answer of ``overlay who``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from overlay.api import models
from overlay.api.routes import _catalog, errors

router = APIRouter()


@router.get("/api/v1/who/{subject:path}", tags=["owners"], response_model=models.Who, responses=errors(400, 404, 409),
            summary="Who to talk to about an asset, a DAG or a task",
            description="`subject`: a DAG id, `dag_id.task_id`, or an asset key or unambiguous suffix. Returns the owning team "
                        "and every person or group named (owners first, then contacts), each with the rule and source that "
                        "names them. 404 when nothing matches, 409 with `candidates` when an asset suffix is ambiguous.")
def who(request: Request, subject: Annotated[str, Path(min_length=1, max_length=1000, description="A DAG id, `dag_id.task_id`, or an asset key or unambiguous suffix.",
                                                                             examples=["lead_scores"])]) -> dict[str, Any]:
    return _catalog(request).who(subject)
