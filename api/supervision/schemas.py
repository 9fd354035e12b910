"""Supervision orders as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from api.supervision.models import SupervisionLevel


class OrderOut(BaseModel):
    """An open supervision order (督办单) waiting for its unit's answer."""

    id: int
    event_id: int
    task_id: int | None
    unit_code: str
    unit_name: str
    level: SupervisionLevel | None
    message: str
    issued_at: datetime
    reply_due: datetime | None
