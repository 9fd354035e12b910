"""HTTP: the access audit log, for administrators and the county centre."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.audit import service
from api.audit.models import AuditAction
from api.audit.schemas import AuditOut
from api.deps import CurrentActor, Tx

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=list[AuditOut])
async def audit_log(
    tx: Tx,
    actor: CurrentActor,
    since: datetime | None = None,
    until: datetime | None = None,
    action: AuditAction | None = None,
    login: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=200, description='e.g. "event 12"')] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[
        int | None, Query(ge=1, description="Page: entries older than this")
    ] = None,
) -> list[AuditOut]:
    """Who signed in (or failed to), revealed personal data, exported, changed users or the
    mode, or was refused — newest first."""
    return await tx(
        lambda s: service.entries(
            session=s, actor=actor, since=since, until=until, action=action, login=login,
            target=target, limit=limit, before_id=before_id,
        )
    )  # fmt: skip
