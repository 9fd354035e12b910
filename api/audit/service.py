"""Reading the audit log back, for the administrator and the county centre (writing it:
api/audit/record.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.models import AuditAction, AuditEntry
from api.audit.record import Who, record
from api.audit.schemas import AuditOut
from api.events import policy
from api.users.service import Actor

__all__ = ["Who", "entries", "record"]


def entries(
    *,
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    action: AuditAction | None = None,
    login: str | None = None,
    target: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditOut]:
    """Entries newest first, filtered; for administrators and the county centre."""
    policy.require_audit_reader(actor)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if login is not None:
        query = query.where(AuditEntry.login == login)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return [AuditOut.model_validate(e, from_attributes=True) for e in session.scalars(query)]
