"""The closed loop of an event (事件受理交办、处置反馈、督办考核): the one way an event changes.

`perform` finds the event the actor may see and locks it, refuses a stale version (409), an
action the state does not allow (409, naming the allowed ones), a role or unit that may not take
it (403, saying why) — all as the action's `ActionSpec` declares (api/events/transitions.py) —
runs the action's handler (api/events/handlers.py), bumps the version and appends a timeline
entry whose sequence number is the new version, so the timeline has no gaps.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import clock
from api.events import policy
from api.events import schemas as s
from api.events.errors import IllegalTransition, StaleVersion
from api.events.handlers import Context, Step, default_lead
from api.events.models import OPEN_TASK_STATES, Event, EventStatus, Task, TimelineEntry
from api.events.transitions import ACTIONS, Action, allowed_actions
from api.events.visibility import visible_event
from api.settings import get_settings
from api.units.models import Unit
from api.users.service import Actor


def perform(
    *,
    session: Session,
    event_id: int,
    action: Action,
    actor: Actor,
    body: s.ActionBody,
    now: datetime | None = None,
) -> Event:
    """Apply `action` to the event as `actor`; the caller commits."""
    spec = ACTIONS[action]
    event = visible_event(session, actor, event_id, for_update=True)
    status = event.status
    allowed = [a.value for a in allowed_actions(status, actor.role)]
    if body.version != event.version:
        raise StaleVersion(
            f"event {event_id} has changed since you saw it (your version {body.version}, "
            f"now {event.version}, status {status.value}): reload it and try again",
            field="version",
            current_version=event.version,
            status=status.value,
        )
    if status not in spec.allowed_from:
        raise IllegalTransition(
            f"an event that is {status.value} cannot be {spec.past}; "
            f"allowed now: {', '.join(allowed) or 'nothing for your role'}",
            status=status.value,
            allowed_actions=allowed,
        )
    policy.require_action_role(actor, spec.roles, action.value)
    spec.guard(actor, event)
    context = Context(
        session,
        event,
        actor,
        clock.now() if now is None else clock.aware(now),
        get_settings(),
        spec.task_from,
    )
    try:
        step = spec.handler(context, body)
    except IllegalTransition as exc:  # a task of the wrong state: say what is allowed instead
        exc.details.setdefault("allowed_actions", allowed)
        raise
    _record(context, action, status, step, body.comment if step.comment is None else step.comment)
    if action is Action.accept and context.settings.auto_assign:
        unit = default_lead(context)
        if unit is not None:
            assign = ACTIONS[Action.assign]
            auto = assign.body(
                version=event.version, lead_unit=unit.code, comment="自动交办 (auto-assign)"
            )
            _record(
                context,
                Action.assign,
                EventStatus.accepted,
                assign.handler(context, auto),
                auto.comment,
            )
    session.flush()
    return event


def _record(
    ctx: Context, action: Action, from_status: EventStatus, step: Step, comment: str | None
) -> None:
    event = ctx.event
    event.status = step.to_status
    event.version += 1
    event.updated_at = ctx.now
    ctx.session.add(
        TimelineEntry(
            event_id=event.id,
            seq=event.version,
            at=ctx.now,
            action=action.value,
            actor_id=ctx.actor.id,
            actor_name=ctx.actor.name,
            actor_role=ctx.actor.role.value,
            unit_code=ctx.actor.unit_code,
            unit_name=ctx.actor.unit_name,
            from_status=from_status,
            to_status=step.to_status,
            comment=comment,
            details=step.details,
            attachment_ids=step.attachment_ids,
        )
    )
    ctx.session.flush()


def timeline(*, session: Session, event_id: int, actor: Actor) -> list[s.TimelineOut]:
    """Every entry of an event's timeline, in order."""
    visible_event(session, actor, event_id)
    return [
        s.TimelineOut(
            seq=t.seq,
            at=t.at,
            action=t.action,
            actor=t.actor_name,
            actor_role=t.actor_role,
            unit_code=t.unit_code,
            unit_name=t.unit_name,
            from_status=t.from_status,
            to_status=t.to_status,
            comment=t.comment,
            details=t.details or {},
            attachment_ids=list(t.attachment_ids or []),
        )
        for t in session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.event_id == event_id)
            .order_by(TimelineEntry.seq)
        )
    ]


def tasks_of(
    session: Session, event_ids: list[int], now: datetime | None = None
) -> dict[int, list[s.TaskOut]]:
    """The tasks of events, with their units, keyed by event id."""
    now = clock.now() if now is None else clock.aware(now)
    out: dict[int, list[s.TaskOut]] = {}
    if not event_ids:
        return out
    rows = session.execute(
        select(Task, Unit.code, Unit.name)
        .join(Unit, Unit.id == Task.unit_id)
        .where(Task.event_id.in_(event_ids))
        .order_by(Task.id)
    )
    for task, code, name in rows:
        overdue = (task.state in OPEN_TASK_STATES and task.handle_due <= now) or (
            task.done_at is not None and task.done_at > task.handle_due
        )
        out.setdefault(task.event_id, []).append(
            s.TaskOut(
                id=task.id,
                unit_code=code,
                unit_name=name,
                role=task.role,
                state=task.state,
                assigned_at=task.assigned_at,
                acknowledge_due=task.acknowledge_due,
                handle_due=task.handle_due,
                at_risk_at=task.at_risk_at,
                acknowledged_at=task.acknowledged_at,
                started_at=task.started_at,
                done_at=task.done_at,
                overdue=overdue,
                rework_count=task.rework_count,
                extension_count=task.extension_count,
            )
        )
    return out
