"""What each action of the closed loop does: one function per action, `(context, body) -> Step`.

A handler runs after `workflow.perform` has found the event (visible to the actor, locked), checked
its version, that its state allows the action, the actor's role and the action's unit rule (all
declared in the action's `ActionSpec`, api/events/transitions.py). The handler checks what only it
can (the task is the actor's, the body's references exist), changes the event and its tasks, and
returns the new state and what the timeline entry records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api import clock
from api.attachments.models import Attachment
from api.categories.models import Category
from api.errors import Conflict, InvalidInput
from api.events import policy
from api.events import schemas as s
from api.events.errors import IllegalTransition
from api.events.models import (
    OPEN_TASK_STATES,
    ClosureType,
    Event,
    EventStatus,
    ExtensionRequest,
    ExtensionState,
    Feedback,
    Rating,
    RejectReason,
    Satisfaction,
    Task,
    TaskRole,
    TaskState,
)
from api.events.visibility import find_visible
from api.settings import Settings
from api.supervision.models import Supervision, SupervisionKind, SupervisionState
from api.units.models import Unit
from api.units.service import default_unit, unit_by_code
from api.users.service import Actor, Forbidden
from api.worktime.calendar import TimeLimit
from api.worktime.service import calendar, compute_deadlines, handle_limit


@dataclass
class Step:
    """What an action did, for the event and its timeline entry."""

    to_status: EventStatus
    comment: str | None = None
    details: dict = field(default_factory=dict)
    unit: Unit | None = None
    attachment_ids: list[int] = field(default_factory=list)


@dataclass
class Context:
    session: Session
    event: Event
    actor: Actor
    now: datetime
    settings: Settings
    task_from: tuple[TaskState, ...] = ()  # the states the unit's task must be in (ActionSpec)


Handler = Callable[[Context, s.ActionBody], Step]


# --- helpers ------------------------------------------------------------------------------------


def _require_unit(ctx: Context, unit_id: int, what: str) -> None:
    """403 unless the actor is of that unit (or an administrator)."""

    def name() -> str:
        unit = ctx.session.get(Unit, unit_id)
        return unit.name if unit else str(unit_id)

    policy.require_unit(ctx.actor, unit_id, what, name)


def _task_for(ctx: Context, task_id: int | None) -> Task:
    """The actor's task on this event (or `task_id`), checked to be theirs and in a state the
    action allows (`ActionSpec.task_from`)."""
    states = ctx.task_from
    tasks = list(
        ctx.session.scalars(select(Task).where(Task.event_id == ctx.event.id).order_by(Task.id))
    )
    if task_id is not None:
        task = next((t for t in tasks if t.id == task_id), None)
        if task is None:
            raise InvalidInput(f"event {ctx.event.id} has no task {task_id}", field="task_id")
    else:
        mine = [t for t in tasks if ctx.actor.is_admin or t.unit_id == ctx.actor.unit_id]
        live = [t for t in mine if t.state in states] or mine
        if ctx.actor.is_admin:
            live.sort(key=lambda t: t.role != TaskRole.lead)
        task = live[0] if live else None
        if task is None:
            raise Forbidden(
                f"your unit has no task on event {ctx.event.id}; you are {ctx.actor.describe()}",
                field="unit",
            )
    _require_unit(ctx, task.unit_id, f"task {task.id} belongs to")
    if task.state not in states:
        raise IllegalTransition(
            f"task {task.id} is {task.state.value}; this needs it to be "
            f"{' or '.join(x.value for x in states)}",
            status=ctx.event.status.value,
            task_state=task.state.value,
        )
    return task


def _unit_ref(unit: Unit) -> dict:
    return {"code": unit.code, "name": unit.name}


def _category(ctx: Context) -> Category:
    category = ctx.session.get(Category, ctx.event.category_code)
    assert category is not None
    return category


def _open_tasks(ctx: Context) -> list[Task]:
    return list(
        ctx.session.scalars(
            select(Task).where(Task.event_id == ctx.event.id, Task.state.in_(OPEN_TASK_STATES))
        )
    )


def _clear_deadline(event: Event) -> None:
    event.lead_unit_id = None
    event.handle_due = None
    event.at_risk = False
    event.overdue = False


def _end_tasks(ctx: Context, tasks: list[Task], state: TaskState, reason: str) -> list[int]:
    """Take tasks out of play: their open supervision orders and pending extension requests
    end with them (nobody is left to answer or to be given the time)."""
    ids = [t.id for t in tasks]
    for task in tasks:
        task.state = state
    if ids:
        ctx.session.execute(
            update(Supervision)
            .where(Supervision.task_id.in_(ids), Supervision.state == SupervisionState.open)
            .values(
                state=SupervisionState.closed,
                answer=f"（任务已结束：{reason}）",
                answered_at=ctx.now,
            )
        )
        ctx.session.execute(
            update(ExtensionRequest)
            .where(
                ExtensionRequest.task_id.in_(ids),
                ExtensionRequest.state == ExtensionState.pending,
            )
            .values(
                state=ExtensionState.void,
                decided_at=ctx.now,
                decision_comment=f"任务已结束：{reason}",
            )
        )
    return ids


def _refresh_flags(ctx: Context) -> None:
    """The event's at-risk and overdue flags from its open tasks' stored deadlines."""
    open_tasks = _open_tasks(ctx)
    ctx.event.overdue = any(t.handle_due <= ctx.now for t in open_tasks)
    ctx.event.at_risk = not ctx.event.overdue and any(t.at_risk_at <= ctx.now for t in open_tasks)


# --- the actions --------------------------------------------------------------------------------


def accept(ctx: Context, body: s.AcceptBody) -> Step:
    """Accept a reported event (受理); the command room may correct its category or urgency."""
    event, details = ctx.event, {}
    if body.category_code and body.category_code != event.category_code:
        category = ctx.session.get(Category, body.category_code)
        if category is None or not category.active:
            raise InvalidInput(
                f"category_code {body.category_code!r} is not in the catalog", field="category_code"
            )
        details["category"] = {"from": event.category_code, "to": category.code}
        event.category_code = category.code
    if body.urgency and body.urgency != event.urgency:
        _check_urgency(ctx, body.urgency)
        details["urgency"] = {"from": event.urgency, "to": body.urgency}
        event.urgency = body.urgency
    event.accepted_at = ctx.now
    return Step(EventStatus.accepted, details=details)


def _check_urgency(ctx: Context, urgency: str) -> None:
    category = _category(ctx)
    if urgency not in category.urgencies:
        raise InvalidInput(
            f"urgency {urgency!r} is not allowed for category {category.code} "
            f"{category.name}; allowed: {', '.join(category.urgencies)}",
            field="urgency",
        )


def reject(ctx: Context, body: s.RejectBody) -> Step:
    """Refuse an event (不予受理): invalid, out of scope, or a duplicate of another event."""
    event, details = ctx.event, {"reason": body.reason}
    if body.reason is RejectReason.duplicate:
        if body.duplicate_of is None:
            raise InvalidInput(
                "a duplicate names the event it repeats: give duplicate_of", field="duplicate_of"
            )
        if body.duplicate_of == event.id:
            raise InvalidInput("an event cannot duplicate itself", field="duplicate_of")
        original = find_visible(ctx.session, ctx.actor, body.duplicate_of)
        if original is None:
            raise InvalidInput(
                f"there is no event {body.duplicate_of} you can see", field="duplicate_of"
            )
        event.duplicate_of_id = original.id
        details["duplicate_of"] = original.id
    elif body.duplicate_of is not None:
        raise InvalidInput("duplicate_of goes with reason 'duplicate'", field="duplicate_of")
    event.reject_reason = body.reason
    event.closed_at = ctx.now
    _clear_deadline(event)
    return Step(EventStatus.rejected, details=details)


def default_lead(ctx: Context) -> Unit | None:
    return default_unit(
        session=ctx.session,
        township_code=ctx.event.township_code,
        grid_code=ctx.event.grid_code,
        platform_code=_category(ctx).platform_code,
    )


def assign(ctx: Context, body: s.AssignBody) -> Step:
    """Assign to a lead unit and co-handling units (交办), with deadlines from the category."""
    event = ctx.event
    if body.urgency and body.urgency != event.urgency:
        _check_urgency(ctx, body.urgency)
        event.urgency = body.urgency
    lead = (
        unit_by_code(ctx.session, body.lead_unit, "lead_unit")
        if body.lead_unit
        else default_lead(ctx)
    )
    if lead is None:
        raise InvalidInput(
            "this event has no default unit (no platform unit in its township "
            "and no grid unit): name one with lead_unit",
            field="lead_unit",
        )
    policy.require_own_township(ctx.actor, lead, "lead_unit")
    co_units = []
    for code in dict.fromkeys(body.co_units):
        unit = unit_by_code(ctx.session, code, "co_units")
        if unit.id == lead.id:
            raise InvalidInput(f"{code} is already the lead unit", field="co_units")
        policy.require_own_township(ctx.actor, unit, "co_units")
        co_units.append(unit)
    deadlines = compute_deadlines(
        category=_category(ctx), urgency=event.urgency, start=ctx.now, settings=ctx.settings
    )
    for unit, role in [(lead, TaskRole.lead)] + [(u, TaskRole.co) for u in co_units]:
        ctx.session.add(
            Task(
                event_id=event.id,
                unit_id=unit.id,
                role=role,
                state=TaskState.pending,
                instructions=body.instructions,
                assigned_at=ctx.now,
                assigned_by_id=ctx.actor.id,
                acknowledge_due=deadlines.acknowledge_due,
                handle_due=deadlines.handle_due,
                at_risk_at=deadlines.at_risk_at,
            )
        )
    event.lead_unit_id = lead.id
    event.handle_due = deadlines.handle_due
    event.at_risk = event.overdue = False
    event.assigned_at = ctx.now
    return Step(
        EventStatus.assigned,
        comment=body.comment or body.instructions,
        details={
            "lead": _unit_ref(lead),
            "co": [_unit_ref(u) for u in co_units],
            "urgency": event.urgency,
            "limit": str(deadlines.handle_limit),
            "acknowledge_due": deadlines.acknowledge_due.isoformat(),
            "handle_due": deadlines.handle_due.isoformat(),
            "default_unit": body.lead_unit is None,
        },
    )


def acknowledge(ctx: Context, body: s.TaskActionBody) -> Step:
    """The unit acknowledges its task (签收)."""
    task = _task_for(ctx, body.task_id)
    task.state = TaskState.acknowledged
    task.acknowledged_at = ctx.now
    status = ctx.event.status
    if task.role == TaskRole.lead and status is EventStatus.assigned:
        status = EventStatus.acknowledged
    late = task.acknowledge_due is not None and ctx.now > task.acknowledge_due
    return Step(status, details={"task_id": task.id, "role": task.role, "late": late})


def start(ctx: Context, body: s.TaskActionBody) -> Step:
    """The unit starts handling its task (开始处置)."""
    task = _task_for(ctx, body.task_id)
    task.state = TaskState.in_progress
    task.started_at = ctx.now
    status = ctx.event.status
    if task.role == TaskRole.lead:
        status = EventStatus.in_progress
    return Step(status, details={"task_id": task.id, "role": task.role})


def return_(ctx: Context, body: s.ReturnBody) -> Step:
    """The unit says the event is not theirs (退回): back to the command room."""
    task = _task_for(ctx, body.task_id)
    _end_tasks(ctx, [task], TaskState.returned, "退回")
    task.return_reason = body.reason
    details = {"task_id": task.id, "role": task.role, "reason": body.reason}
    if task.role == TaskRole.co:
        return Step(_status_after_task_change(ctx), comment=body.reason, details=details)
    _end_tasks(ctx, _open_tasks(ctx), TaskState.cancelled, "主办单位退回")
    ctx.event.return_count += 1
    _clear_deadline(ctx.event)
    return Step(EventStatus.returned, comment=body.reason, details=details)


def _status_after_task_change(ctx: Context) -> EventStatus:
    """Handled once every task still in play is done; otherwise unchanged."""
    ctx.session.flush()
    states = [
        TaskState(t)
        for t in ctx.session.scalars(select(Task.state).where(Task.event_id == ctx.event.id))
    ]
    live = [st for st in states if st not in (TaskState.returned, TaskState.cancelled)]
    if live and all(st is TaskState.done for st in live):
        ctx.event.handled_at = ctx.now
        ctx.event.at_risk = ctx.event.overdue = False
        return EventStatus.handled
    return ctx.event.status


def feedback(ctx: Context, body: s.FeedbackBody) -> Step:
    """The unit reports what it did (处置反馈), with photos; handled when all tasks are."""
    task = _task_for(ctx, body.task_id)
    if body.attachment_ids:
        found = set(
            ctx.session.scalars(
                select(Attachment.id).where(
                    Attachment.id.in_(body.attachment_ids), Attachment.event_id == ctx.event.id
                )
            )
        )
        missing = sorted(set(body.attachment_ids) - found)
        if missing:
            raise InvalidInput(
                f"attachments {missing} are not photos of event {ctx.event.id}: "
                "upload them to POST /api/v1/events/{id}/attachments first",
                field="attachment_ids",
            )
    ctx.session.add(
        Feedback(
            event_id=ctx.event.id,
            task_id=task.id,
            content=body.text,
            result=body.result,
            created_by_id=ctx.actor.id,
            created_at=ctx.now,
            attachment_ids=body.attachment_ids,
        )
    )
    _end_tasks(ctx, [task], TaskState.done, "已反馈")
    task.done_at = ctx.now
    late = ctx.now > task.handle_due
    return Step(
        _status_after_task_change(ctx),
        comment=body.text,
        details={"task_id": task.id, "role": task.role, "result": body.result, "late": late},
        attachment_ids=body.attachment_ids,
    )


def verify(ctx: Context, body: s.VerifyBody) -> Step:
    """Check the handling (核查): pass closes the event, fail sends it back (返工)."""
    event = ctx.event
    tasks = list(ctx.session.scalars(select(Task).where(Task.event_id == event.id)))
    if body.passed:
        late = any(
            t.done_at and t.done_at > t.handle_due for t in tasks if t.state == TaskState.done
        )
        event.closure_type = ClosureType.late if late else ClosureType.normal
        event.closed_at = ctx.now
        event.at_risk = event.overdue = False
        return Step(
            EventStatus.closed, details={"passed": True, "closure_type": event.closure_type}
        )
    if not body.comment:
        raise InvalidInput(
            "say what is wrong when verification fails: give comment", field="comment"
        )
    reworked = []
    for task in tasks:
        if task.state == TaskState.done:
            task.state = TaskState.in_progress
            task.done_at = None
            task.rework_count += 1
            reworked.append(task.id)
    event.rework_count += 1
    event.handled_at = None
    _refresh_flags(ctx)
    return Step(EventStatus.in_progress, details={"passed": False, "rework_tasks": reworked})


def escalate(ctx: Context, body: s.EscalateBody) -> Step:
    """Escalate to the county centre (上报): beyond the township's power."""
    cancelled = _end_tasks(ctx, _open_tasks(ctx), TaskState.cancelled, "已上报县级")
    ctx.event.escalated_at = ctx.now
    _clear_deadline(ctx.event)
    return Step(
        EventStatus.escalated,
        comment=body.reason,
        details={"reason": body.reason, "cancelled_tasks": cancelled},
    )


def county_return(ctx: Context, body: s.CountyReturnBody) -> Step:
    """The county returns an escalated event with instructions (县级退回)."""
    return Step(
        EventStatus.accepted, comment=body.instructions, details={"instructions": body.instructions}
    )


def county_close(ctx: Context, body: s.CountyCloseBody) -> Step:
    """The county closes an escalated event (县级办结)."""
    ctx.event.closure_type = ClosureType.special
    ctx.event.closed_at = ctx.now
    return Step(EventStatus.closed, details={"closure_type": ClosureType.special})


def request_extension(ctx: Context, body: s.RequestExtensionBody) -> Step:
    """The unit asks for more time (申请延期)."""
    task = _task_for(ctx, body.task_id)
    if (body.new_due is None) == (body.extra is None):
        raise InvalidInput("give either new_due (a time) or extra (e.g. 2wd)", field="new_due")
    if body.extra is not None:
        try:
            limit = TimeLimit.parse(body.extra)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="extra") from None
        new_due = calendar(ctx.settings).add(task.handle_due, limit)
    else:
        new_due = clock.aware(body.new_due)
    if new_due <= task.handle_due:
        raise InvalidInput(
            f"the new deadline must be after the current one "
            f"({clock.local(task.handle_due):%Y-%m-%d %H:%M})",
            field="new_due",
        )
    pending = ctx.session.scalar(
        select(ExtensionRequest).where(
            ExtensionRequest.task_id == task.id, ExtensionRequest.state == ExtensionState.pending
        )
    )
    if pending is not None:
        raise Conflict(
            f"task {task.id} already has extension request {pending.id} waiting for a decision",
            field="task_id",
        )
    request = ExtensionRequest(
        event_id=ctx.event.id,
        task_id=task.id,
        requested_by_id=ctx.actor.id,
        requested_at=ctx.now,
        requested_due=new_due,
        reason=body.reason,
        state=ExtensionState.pending,
    )
    ctx.session.add(request)
    ctx.session.flush()
    return Step(
        ctx.event.status,
        comment=body.reason,
        details={
            "request_id": request.id,
            "task_id": task.id,
            "current_due": task.handle_due.isoformat(),
            "requested_due": new_due.isoformat(),
        },
    )


def decide_extension(ctx: Context, body: s.DecideExtensionBody) -> Step:
    """The command room approves or refuses an extension (审批延期)."""
    request = ctx.session.get(ExtensionRequest, body.request_id)
    if request is None or request.event_id != ctx.event.id:
        raise InvalidInput(
            f"event {ctx.event.id} has no extension request {body.request_id}", field="request_id"
        )
    if request.state is not ExtensionState.pending:
        raise Conflict(
            f"extension request {request.id} was already {request.state}", field="request_id"
        )
    request.decided_by_id, request.decided_at = ctx.actor.id, ctx.now
    request.decision_comment = body.comment
    details = {"request_id": request.id, "approved": body.approve}
    if not body.approve:
        request.state = ExtensionState.refused
        return Step(ctx.event.status, details=details)
    task = ctx.session.get(Task, request.task_id)
    if task.state not in OPEN_TASK_STATES:
        raise Conflict(
            f"task {task.id} is {task.state}: its deadline no longer matters", field="request_id"
        )
    new_due = clock.aware(body.new_due) if body.new_due else request.requested_due
    if new_due <= task.handle_due:
        raise InvalidInput("the granted deadline must be after the current one", field="new_due")
    request.state, request.new_due = ExtensionState.approved, new_due
    task.at_risk_at = _at_risk_point(ctx, task.assigned_at, new_due)
    details.update(
        task_id=task.id, old_due=task.handle_due.isoformat(), new_due=new_due.isoformat()
    )
    task.handle_due = new_due
    task.extension_count += 1
    if task.at_risk_at > ctx.now:
        task.at_risk_notified_at = None
    if new_due > ctx.now:
        task.overdue_notified_at = None
    ctx.event.extension_count += 1
    if task.role == TaskRole.lead:
        ctx.event.handle_due = new_due
    open_tasks = _open_tasks(ctx)
    ctx.event.overdue = any(t.handle_due <= ctx.now for t in open_tasks)
    ctx.event.at_risk = any(t.at_risk_at <= ctx.now < t.handle_due for t in open_tasks)
    return Step(ctx.event.status, details=details)


def _at_risk_point(ctx: Context, start: datetime, due: datetime) -> datetime:
    """When a task from `start` to `due` has used the at-risk share of its time, counted the
    way its limit counts (working time, or natural hours for an urgent limit in hours)."""
    ratio = ctx.settings.at_risk_ratio
    if handle_limit(_category(ctx), ctx.event.urgency).unit == "h":
        return start + (due - start) * ratio
    cal = calendar(ctx.settings)
    return cal.add_working_hours(start, cal.working_hours_between(start, due) * ratio)


def supervise(ctx: Context, body: s.SuperviseBody) -> Step:
    """Issue a supervision order (督办单) with a level and a reply deadline."""
    tasks = _open_tasks(ctx)
    if body.task_id is not None:
        task = next((t for t in tasks if t.id == body.task_id), None)
        if task is None:
            raise InvalidInput(
                f"event {ctx.event.id} has no open task {body.task_id}", field="task_id"
            )
    else:
        task = next((t for t in tasks if t.role == TaskRole.lead), tasks[0] if tasks else None)
        if task is None:
            raise InvalidInput(
                f"event {ctx.event.id} has no open task to supervise", field="task_id"
            )
    reply_due = (
        clock.aware(body.reply_due)
        if body.reply_due
        else calendar(ctx.settings).add(ctx.now, TimeLimit(1, "wd"))
    )
    order = Supervision(
        event_id=ctx.event.id,
        task_id=task.id,
        unit_id=task.unit_id,
        kind=SupervisionKind.order,
        level=body.level,
        issued_by_id=ctx.actor.id,
        issued_at=ctx.now,
        reply_due=reply_due,
        message=body.message,
        state=SupervisionState.open,
    )
    ctx.session.add(order)
    ctx.session.flush()
    unit = ctx.session.get(Unit, task.unit_id)
    return Step(
        ctx.event.status,
        comment=body.message,
        details={
            "supervision_id": order.id,
            "level": body.level,
            "task_id": task.id,
            "unit": _unit_ref(unit),
            "reply_due": reply_due.isoformat(),
        },
    )


def answer_supervision(ctx: Context, body: s.AnswerSupervisionBody) -> Step:
    """The supervised unit answers the order (督办回复)."""
    order = ctx.session.get(Supervision, body.supervision_id)
    if order is None or order.event_id != ctx.event.id:
        raise InvalidInput(
            f"event {ctx.event.id} has no supervision order {body.supervision_id}",
            field="supervision_id",
        )
    _require_unit(ctx, order.unit_id, f"supervision order {order.id} is addressed to")
    if order.state is not SupervisionState.open:
        raise Conflict(
            f"supervision order {order.id} is {order.state}, not open", field="supervision_id"
        )
    order.state, order.answer = SupervisionState.answered, body.answer
    order.answered_at, order.answered_by_id = ctx.now, ctx.actor.id
    late = order.reply_due is not None and ctx.now > order.reply_due
    return Step(
        ctx.event.status,
        comment=body.answer,
        details={"supervision_id": order.id, "late": late},
    )


def rate(ctx: Context, body: s.RateBody) -> Step:
    """Record the citizen's satisfaction (回访评价); dissatisfied may reopen the event."""
    event = ctx.event
    if body.reopen and body.level is not Satisfaction.dissatisfied:
        raise InvalidInput("only a dissatisfied rating can reopen the event", field="reopen")
    rated = ctx.session.scalar(
        select(Rating.level)
        .where(Rating.event_id == event.id, Rating.recorded_at >= event.closed_at)
        .limit(1)
    )
    if rated is not None:
        raise Conflict(
            f"event {event.id} was already rated ({rated}) since it was closed", field="level"
        )
    ctx.session.add(
        Rating(
            event_id=event.id,
            level=body.level,
            comment=body.comment,
            reopened=body.reopen,
            recorded_by_id=ctx.actor.id,
            recorded_at=ctx.now,
        )
    )
    event.satisfaction = body.level
    if not body.reopen:
        return Step(EventStatus.closed, details={"level": body.level})
    reopened = []
    for task in ctx.session.scalars(
        select(Task).where(Task.event_id == event.id, Task.state == TaskState.done)
    ):
        task.state = TaskState.in_progress
        task.done_at = None
        reopened.append(task.id)
    if not reopened:
        raise InvalidInput(
            "this event has no handled task to reopen (it was closed by the "
            "county or without handling)",
            field="reopen",
        )
    event.reopen_count += 1
    event.closed_at = event.closure_type = event.handled_at = None
    ctx.session.flush()
    _refresh_flags(ctx)
    return Step(EventStatus.in_progress, details={"level": body.level, "reopened_tasks": reopened})
