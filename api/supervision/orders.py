"""Open supervision orders: what a unit must still answer (督办回复)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.events.models import Event
from api.events.policy import UNIT_STAFF
from api.events.visibility import visible_clause
from api.supervision.models import Supervision, SupervisionKind, SupervisionState
from api.supervision.schemas import OrderOut
from api.units.models import Unit
from api.users.models import Role
from api.users.service import Actor


def open_orders(*, session: Session, actor: Actor, event_id: int | None = None) -> list[OrderOut]:
    """Open orders on events the actor may see, earliest reply deadline first: a unit's staff
    get those addressed to their unit, the command room every one it may see."""
    query = (
        select(Supervision, Unit.code, Unit.name)
        .join(Event, Event.id == Supervision.event_id)
        .join(Unit, Unit.id == Supervision.unit_id)
        .where(
            visible_clause(actor),
            Supervision.kind == SupervisionKind.order,
            Supervision.state == SupervisionState.open,
        )
        .order_by(Supervision.reply_due.nulls_last(), Supervision.id)
    )
    if actor.role in UNIT_STAFF and actor.role is not Role.admin:
        query = query.where(Supervision.unit_id == actor.unit_id)
    if event_id is not None:
        query = query.where(Supervision.event_id == event_id)
    return [
        OrderOut(
            id=order.id,
            event_id=order.event_id,
            task_id=order.task_id,
            unit_code=code,
            unit_name=name,
            level=order.level,
            message=order.message,
            issued_at=order.issued_at,
            reply_due=order.reply_due,
        )
        for order, code, name in session.execute(query.limit(500))
    ]
