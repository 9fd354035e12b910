"""The audit log as the API shows it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from api.audit.models import AuditAction


class AuditOut(BaseModel):
    id: int
    at: datetime
    action: AuditAction
    user_id: int | None
    login: str | None
    role: str | None
    unit_code: str | None
    address: str | None
    target: str | None
    details: dict
