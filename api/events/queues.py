"""Work queues: what a user must do now."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from api.events.models import HANDLING_STATES, OPEN_TASK_STATES, Event, EventStatus, Task
from api.events.visibility import visible_clause
from api.supervision.models import Supervision, SupervisionState
from api.users.models import Role
from api.users.service import Actor


class Queue(StrEnum):
    to_accept = "to_accept"  # 待受理
    to_assign = "to_assign"  # 待交办 (accepted, or returned by a unit)
    overdue = "overdue"  # 已超期
    at_risk = "at_risk"  # 即将超期
    my_tasks = "my_tasks"  # 我单位的待办
    escalated = "escalated"  # 已上报县级
    supervision = "supervision"  # 待回复的督办单
    to_verify = "to_verify"  # 待核查


def queue_events(
    *, session: Session, actor: Actor, queue: Queue, limit: int, offset: int
) -> list[Event]:
    """The events in a queue for `actor`, oldest deadline (or oldest report) first."""
    where = [visible_clause(actor)]
    order = [Event.created_at]
    open_task_of_mine = exists(
        select(Task.id).where(
            Task.event_id == Event.id,
            Task.unit_id == actor.unit_id,
            Task.state.in_(OPEN_TASK_STATES),
        )
    )
    match queue:
        case Queue.to_accept:
            where.append(Event.status == EventStatus.reported)
        case Queue.to_assign:
            where.append(Event.status.in_([EventStatus.accepted, EventStatus.returned]))
        case Queue.to_verify:
            where.append(Event.status == EventStatus.handled)
        case Queue.overdue:
            where.append(and_(Event.overdue, Event.status.in_(HANDLING_STATES)))
            order = [Event.handle_due]
        case Queue.at_risk:
            where.append(and_(Event.at_risk, ~Event.overdue, Event.status.in_(HANDLING_STATES)))
            order = [Event.handle_due]
        case Queue.my_tasks:
            if actor.role is Role.admin:
                where.append(Event.status.in_(HANDLING_STATES))
            else:
                where.append(open_task_of_mine)
            order = [Event.handle_due]
        case Queue.escalated:
            where.append(Event.status == EventStatus.escalated)
        case Queue.supervision:
            mine = (
                (Supervision.unit_id == actor.unit_id)
                if actor.role in (Role.handler, Role.grid_worker)
                else True
            )
            where.append(
                exists(
                    select(Supervision.id).where(
                        Supervision.event_id == Event.id,
                        Supervision.state == SupervisionState.open,
                        mine,
                    )
                )
            )
    query = select(Event).where(*where).order_by(*order, Event.id).limit(limit).offset(offset)
    return list(session.scalars(query))
