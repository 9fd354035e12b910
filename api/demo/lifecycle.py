"""Demo events taken through the real closed loop, at the times they would have happened.

Every step goes through `api.events.workflow.perform` with a simulated clock, so the demo's
states, tasks, deadlines and timelines are the ones the product itself makes: nothing is
written around the rules. Steps that would lie in the future are not taken, so recent events
stop where they would be now; the deadline sweep then marks what is at risk or overdue.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.events import schemas as s
from api.events.models import (
    OPEN_TASK_STATES,
    Event,
    EventStatus,
    ExtensionRequest,
    ExtensionState,
    Task,
    TaskRole,
    TaskState,
)
from api.events.transitions import Action
from api.events.workflow import perform
from api.supervision.models import Supervision, SupervisionLevel, SupervisionState
from api.units.models import Unit, UnitKind
from api.users.service import Actor

Progress = Callable[[str, int, int], None]
MINUTE = timedelta(minutes=1)


class _Stop(Exception):
    """The next step lies in the future: the event stays where it is now."""


class _Runner:
    def __init__(
        self, session: Session, event: Event, now: datetime, stop_at: EventStatus | None = None
    ) -> None:
        self.session, self.event, self.now = session, event, now
        self.stop_at = stop_at  # a showcase event stops in this state

    def act(
        self, action: Action, actor: Actor, at: datetime, body_type: type[s.ActionBody], **fields
    ) -> None:
        if at >= self.now:
            raise _Stop
        body = body_type(version=self.event.version, **fields)
        self.event = perform(
            session=self.session,
            event_id=self.event.id,
            action=action,
            actor=actor,
            body=body,
            now=at,
        )
        if self.stop_at is not None and self.event.status == self.stop_at:
            raise _Stop


# A few recent events of the main township are stopped in each state, so that every step of
# the loop can be tried by hand; the fate number picks the path that leads there.
S = EventStatus
SHOWCASE = (
    (S.reported, None),
    (S.accepted, 0.5),
    (S.assigned, 0.5),
    (S.acknowledged, 0.5),
    (S.in_progress, 0.5),
    (S.handled, 0.5),
    (S.returned, 0.07),
    (S.escalated, 0.05),
    (S.rejected, 0.01),
)
SHOWCASE_TOWNSHIP = "330825001"


def _showcase(session: Session, event_ids: list[int], now: datetime) -> dict[int, tuple]:
    """Two events per showcase state, from the main township's events of 1-3 days ago."""
    rows = session.execute(
        select(Event.id, Event.created_at, Event.township_code).where(Event.id.in_(event_ids))
    ).all()
    picks = [
        r[0]
        for r in sorted(rows, key=lambda r: r[1], reverse=True)
        if r[2] == SHOWCASE_TOWNSHIP and timedelta(days=1) < now - r[1] < timedelta(days=3)
    ]
    plan = [state for state in SHOWCASE for _ in range(2)]
    return dict(zip(picks, plan, strict=False))


def simulate(
    *,
    session: Session,
    event_ids: list[int],
    actors: dict[str, Actor],
    admin: Actor,
    now: datetime,
    seed: int = 7,
    progress: Progress | None = None,
) -> Counter:
    """Take each event as far through the loop as its age allows; the final states counted."""
    rng = np.random.default_rng(seed)
    departments: dict[str, list[str]] = {}
    for code, township in session.execute(
        select(Unit.code, Unit.township_code).where(Unit.kind == UnitKind.department)
    ):
        departments.setdefault(township, []).append(code)
    seen_by_grid: dict[str, int] = {}
    states: Counter = Counter()
    showcase = _showcase(session, event_ids, now)
    for done, event_id in enumerate(event_ids, start=1):
        event = session.get(Event, event_id)
        stop_at, fate = showcase.get(event_id, (None, None))
        runner = _Runner(session, event, now, stop_at)
        if (
            stop_at is not EventStatus.reported
        ):  # a showcase event left waiting in the to_accept queue
            with contextlib.suppress(_Stop):  # the next step lies in the future
                _one(runner, rng, actors, admin, departments, seen_by_grid, fate)
        if event.grid_code:
            seen_by_grid.setdefault(event.grid_code, event.id)
        states[runner.event.status] += 1
        if progress and (done % 100 == 0 or done == len(event_ids)):
            progress("closed loop", done, len(event_ids))
    return states


def _minutes(rng: np.random.Generator, low: float, high: float) -> timedelta:
    return timedelta(minutes=float(rng.uniform(low, high)))


def _one(
    run: _Runner,
    rng,
    actors: dict[str, Actor],
    admin: Actor,
    departments: dict[str, list[str]],
    seen_by_grid: dict[str, int],
    fate: float | None = None,
) -> None:
    event = run.event
    if not event.township_code:
        return  # unrouted: waits for a person to place it
    commander = actors.get(f"{event.township_code}-ZHS", admin)
    t = event.created_at + _minutes(rng, 5, 40)
    drawn = rng.random()  # drawn always, so that showcase events leave the others' dice alone
    fate = drawn if fate is None else fate
    if fate < 0.04:
        duplicate_of = seen_by_grid.get(event.grid_code or "")
        if duplicate_of and duplicate_of != event.id:
            run.act(
                Action.reject,
                commander,
                t,
                s.RejectBody,
                reason="duplicate",
                duplicate_of=duplicate_of,
                comment="与已受理事件重复，合并处理",
            )
        else:
            run.act(
                Action.reject,
                commander,
                t,
                s.RejectBody,
                reason="invalid",
                comment="经核实情况不属实",
            )
        return
    run.act(Action.accept, commander, t, s.AcceptBody)
    t += _minutes(rng, 5, 60)
    if fate < 0.06:
        run.act(
            Action.escalate, commander, t, s.EscalateBody, reason="涉及跨乡镇协调，超出本级处置权限"
        )
        county = actors.get("330825-ZX", admin)
        t += timedelta(hours=float(rng.uniform(2, 30)))
        if rng.random() < 0.5:
            run.act(
                Action.county_close, county, t, s.CountyCloseBody, comment="已由县级部门直接办结"
            )
            return
        run.act(
            Action.county_return,
            county,
            t,
            s.CountyReturnBody,
            instructions="请乡镇牵头，会同相关部门处置",
        )
        t += _minutes(rng, 10, 120)
    co_units = []
    if fate > 0.88 and departments.get(event.township_code):
        choices = departments[event.township_code]
        co_units = [choices[int(rng.integers(len(choices)))]]
    run.act(Action.assign, commander, t, s.AssignBody, co_units=co_units)
    if 0.06 <= fate < 0.09 and departments.get(event.township_code):
        lead = _task(run, TaskRole.lead)
        t += _minutes(rng, 20, 120)
        run.act(
            Action.return_,
            actors.get(_unit_code(run, lead), admin),
            t,
            s.ReturnBody,
            task_id=lead.id,
            reason="该事项不属于本单位职责",
        )
        t += _minutes(rng, 10, 60)
        dept = departments[event.township_code][0]
        run.act(Action.assign, commander, t, s.AssignBody, lead_unit=dept, comment="改派至职能部门")
    _handle(
        run,
        rng,
        actors,
        admin,
        commander,
        t,
        late=0.09 <= fate < 0.17,
        rework=0.17 <= fate < 0.25,
        extension=0.25 <= fate < 0.30,
    )


def _task(run: _Runner, role: TaskRole) -> Task:
    return run.session.scalars(
        select(Task)
        .where(
            Task.event_id == run.event.id,
            Task.role == role,
            Task.state.in_((*OPEN_TASK_STATES, TaskState.done)),
        )
        .order_by(Task.id.desc())
    ).first()


def _unit_code(run: _Runner, task: Task) -> str:
    return run.session.get(Unit, task.unit_id).code


def _handle(
    run: _Runner,
    rng,
    actors: dict[str, Actor],
    admin: Actor,
    commander: Actor,
    t: datetime,
    *,
    late: bool,
    rework: bool,
    extension: bool,
) -> None:
    tasks = list(
        run.session.scalars(
            select(Task)
            .where(Task.event_id == run.event.id, Task.state == TaskState.pending)
            .order_by(Task.id)
        )
    )
    due = min(task.handle_due for task in tasks)
    span = due - t
    for task in tasks:
        who = actors.get(_unit_code(run, task), admin)
        t_ack = t + _minutes(rng, 10, 90)
        run.act(Action.acknowledge, who, t_ack, s.TaskActionBody, task_id=task.id)
        run.act(Action.start, who, t_ack + _minutes(rng, 10, 60), s.TaskActionBody, task_id=task.id)
    if extension:
        lead = tasks[0]
        who = actors.get(_unit_code(run, lead), admin)
        t_ext = t + span * 0.5
        run.act(
            Action.request_extension,
            who,
            t_ext,
            s.RequestExtensionBody,
            task_id=lead.id,
            extra="2wd",
            reason="需等待当事人到场，申请延期两个工作日",
        )
        request_id = _pending_request(run, lead.id)
        run.act(
            Action.decide_extension,
            commander,
            t_ext + _minutes(rng, 20, 180),
            s.DecideExtensionBody,
            request_id=request_id,
            approve=bool(rng.random() < 0.7),
            comment="同意" if rng.random() < 0.7 else None,
        )
        span = run.session.get(Task, lead.id).handle_due - t
    for task in tasks:
        who = actors.get(_unit_code(run, task), admin)
        fraction = float(rng.uniform(1.1, 1.6)) if late else float(rng.uniform(0.2, 0.9))
        run.act(
            Action.feedback,
            who,
            t + span * fraction,
            s.FeedbackBody,
            task_id=task.id,
            text="已到现场处置完毕，情况已消除。",
            result="resolved",
        )
    t_done = t + span * (1.6 if late else 0.9)
    verifier = commander
    if rework:
        run.act(
            Action.verify,
            verifier,
            t_done + _minutes(rng, 30, 240),
            s.VerifyBody,
            passed=False,
            comment="现场复核仍有问题，请返工",
        )
        t_done += timedelta(hours=4)
        for task in tasks:
            who = actors.get(_unit_code(run, task), admin)
            run.act(
                Action.feedback,
                who,
                t_done + _minutes(rng, 30, 300),
                s.FeedbackBody,
                task_id=task.id,
                text="已返工处理完毕。",
                result="resolved",
            )
        t_done += timedelta(hours=6)
    run.act(Action.verify, verifier, t_done + _minutes(rng, 30, 240), s.VerifyBody, passed=True)
    if rng.random() < 0.6:
        level = str(
            rng.choice(
                ["satisfied", "satisfied", "satisfied", "basically_satisfied", "dissatisfied"]
            )
        )
        run.act(
            Action.rate,
            commander,
            t_done + timedelta(hours=float(rng.uniform(2, 30))),
            s.RateBody,
            level=level,
        )


def _pending_request(run: _Runner, task_id: int) -> int:
    return run.session.scalar(
        select(ExtensionRequest.id).where(
            ExtensionRequest.task_id == task_id, ExtensionRequest.state == ExtensionState.pending
        )
    )


def supervise_some(
    *, session: Session, actors: dict[str, Actor], admin: Actor, now: datetime, limit: int = 20
) -> int:
    """Red supervision orders by hand on the longest-overdue events, half of them answered."""
    overdue = list(
        session.scalars(select(Event).where(Event.overdue).order_by(Event.handle_due).limit(limit))
    )
    issued = 0
    for i, event in enumerate(overdue):
        commander = actors.get(f"{event.township_code}-ZHS", admin)
        event = perform(
            session=session,
            event_id=event.id,
            action=Action.supervise,
            actor=commander,
            now=now - timedelta(hours=3),
            body=s.SuperviseBody(
                version=event.version, level="red", message="严重超期，请立即办理并书面说明原因"
            ),
        )
        issued += 1
        if i % 2 == 0:
            order = session.scalars(
                select(Supervision).where(
                    Supervision.event_id == event.id,
                    Supervision.state == SupervisionState.open,
                    Supervision.level == SupervisionLevel.red,
                )
            ).first()
            unit_code = session.get(Unit, order.unit_id).code
            perform(
                session=session,
                event_id=event.id,
                action=Action.answer_supervision,
                actor=actors.get(unit_code, admin),
                now=now - timedelta(hours=1),
                body=s.AnswerSupervisionBody(
                    version=event.version,
                    supervision_id=order.id,
                    answer="已安排专人处理，明日办结",
                ),
            )
    return issued
