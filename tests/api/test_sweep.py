"""The deadline sweep: at-risk reminders and overdue supervision orders, by the system.

Tasks are made the way the product makes them: an event reported in the `grid_set` squares
(township 330825100), accepted and assigned through `api.events.workflow.perform` at fixed
times. The sweep then runs at chosen moments, in the test's own transaction.

Category 0102 暴露垃圾 has 4 working hours to handle. Assigned on Tuesday 11 March 2025 at
09:00, the task is due at 14:30 (09:00-12:00 and 13:30-14:30: lunch does not count) and at risk
once 80% is used, 3.2 working hours: 13:42.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.events import schemas as s
from api.events.models import Event
from api.events.service import create_event
from api.events.transitions import Action
from api.events.workflow import perform
from api.supervision.service import SweepResult, sweep
from api.units.service import sync_units
from api.users.service import actor_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOWNSHIP = "330825100"
ZHS, ZHIFA, PCS, SJS = (f"{TOWNSHIP}-{x}" for x in ("ZHS", "zhifa", "PCS", "SJS"))


def at(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)


ASSIGNED = at("2025-03-11 09:00")
AT_RISK = at("2025-03-11 13:42")
DUE = at("2025-03-11 14:30")
MINUTE = timedelta(minutes=1)


# --- making tasks the product's way -------------------------------------------------------------


@pytest.fixture
def people(session, grid_set, make_user):
    """The units of the test township, and a commander and unit staff to act."""
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")

    def actor(login: str, role: str, unit: str):
        return actor_for(session, make_user(login, role, unit).id)

    return SimpleNamespace(
        commander=actor("t-sweep-zhs", "commander", ZHS),
        zhifa=actor("t-sweep-zhifa", "handler", ZHIFA),
        pcs=actor("t-sweep-pcs", "handler", PCS),
        sjs=actor("t-sweep-sjs", "handler", SJS),
    )


def version_of(session: Session, event_id: int) -> int:
    return session.scalar(select(Event.version).where(Event.id == event_id))


def act(session, event_id: int, action: Action, actor, now: datetime, body, **fields) -> Event:
    """`action` on the event as `actor` at `now`, with the version stored now."""
    return perform(
        session=session,
        event_id=event_id,
        action=action,
        actor=actor,
        now=now,
        body=body(version=version_of(session, event_id), **fields),
    )


def assigned_event(session, people, co_units: tuple[str, ...] = ()) -> int:
    """A 0102 event in grid A, accepted at 08:50 and assigned to 监管执法 at 09:00 (3 versions)."""
    out, created = create_event(
        session=session,
        data=s.EventIn(
            title="路边暴露垃圾",
            category_code="0102",
            source="grid_worker",
            lon=119.005,
            lat=29.005,
            external_id=f"sweep-{uuid.uuid4().hex}",
        ),
        actor=people.commander,
    )
    assert created and out.routing.township_code == TOWNSHIP
    act(session, out.id, Action.accept, people.commander, ASSIGNED - 10 * MINUTE, s.AcceptBody)
    act(
        session,
        out.id,
        Action.assign,
        people.commander,
        ASSIGNED,
        s.AssignBody,
        lead_unit=ZHIFA,
        co_units=list(co_units),
    )
    return out.id


def handle(session, event_id: int, actor, now: datetime) -> None:
    """The actor's unit acknowledges, starts and reports back on its task (it is done)."""
    act(session, event_id, Action.acknowledge, actor, now, s.TaskActionBody)
    act(session, event_id, Action.start, actor, now + MINUTE, s.TaskActionBody)
    act(session, event_id, Action.feedback, actor, now + 2 * MINUTE, s.FeedbackBody, text="已清运")


# --- what the sweep leaves behind, read from the database ---------------------------------------


def event_row(session, event_id: int) -> dict:
    return dict(
        session.execute(
            text(
                "SELECT status, version, at_risk, overdue, handle_due, updated_at "
                "FROM event WHERE id = :id"
            ),
            {"id": event_id},
        )
        .mappings()
        .one()
    )


def task_rows(session, event_id: int) -> list[dict]:
    return [
        dict(r)
        for r in session.execute(
            text(
                "SELECT t.id, u.code AS unit, t.role, t.state, t.handle_due, t.at_risk_at, "
                "t.at_risk_notified_at, t.overdue_notified_at "
                "FROM task t JOIN unit u ON u.id = t.unit_id WHERE t.event_id = :id ORDER BY t.id"
            ),
            {"id": event_id},
        ).mappings()
    ]


def supervision_rows(session, event_id: int) -> list[dict]:
    return [
        dict(r)
        for r in session.execute(
            text(
                "SELECT s.id, s.task_id, u.code AS unit, s.kind, s.level, s.issued_at, "
                "s.issued_by_id, s.reply_due, s.state, s.message "
                "FROM supervision s JOIN unit u ON u.id = s.unit_id "
                "WHERE s.event_id = :id ORDER BY s.id"
            ),
            {"id": event_id},
        ).mappings()
    ]


def timeline_rows(session, event_id: int) -> list[dict]:
    return [
        dict(r)
        for r in session.execute(
            text(
                "SELECT seq, at, action, actor_id, actor_name, from_status, to_status, comment, "
                "details FROM event_timeline WHERE event_id = :id ORDER BY seq"
            ),
            {"id": event_id},
        ).mappings()
    ]


def snapshot(session, event_id: int) -> tuple:
    return (
        event_row(session, event_id),
        task_rows(session, event_id),
        supervision_rows(session, event_id),
        timeline_rows(session, event_id),
    )


# --- the sweep ----------------------------------------------------------------------------------


def test_the_task_gets_its_deadlines_in_working_time(session, people):
    event_id = assigned_event(session, people)

    (task,) = task_rows(session, event_id)
    assert (task["unit"], task["role"], task["state"]) == (ZHIFA, "lead", "pending")
    assert task["handle_due"] == DUE
    assert task["at_risk_at"] == AT_RISK
    assert event_row(session, event_id)["handle_due"] == DUE


def test_before_80_percent_nothing_happens(session, people):
    event_id = assigned_event(session, people)
    before = snapshot(session, event_id)

    for moment in (ASSIGNED + MINUTE, at("2025-03-11 12:00"), AT_RISK - MINUTE):
        assert sweep(session=session, now=moment) == SweepResult(0, 0)

    assert snapshot(session, event_id) == before
    assert event_row(session, event_id)["version"] == 3
    assert supervision_rows(session, event_id) == []


def test_at_80_percent_the_task_is_at_risk_and_the_unit_is_reminded(session, people):
    event_id = assigned_event(session, people)
    (task,) = task_rows(session, event_id)

    result = sweep(session=session, now=AT_RISK)

    assert result == SweepResult(overdue_events=0, at_risk_events=1)
    event = event_row(session, event_id)
    assert (event["at_risk"], event["overdue"], event["status"]) == (True, False, "assigned")
    assert event["version"] == 4
    assert event["updated_at"] == AT_RISK
    (reminder,) = supervision_rows(session, event_id)
    assert reminder["kind"] == "reminder"
    assert reminder["level"] is None
    assert (reminder["task_id"], reminder["unit"]) == (task["id"], ZHIFA)
    assert reminder["issued_at"] == AT_RISK
    assert reminder["issued_by_id"] is None
    assert reminder["state"] == "closed"  # a reminder needs no answer
    assert reminder["message"] == "办理时限即将到期，请抓紧办理。"
    entries = timeline_rows(session, event_id)
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    last = entries[-1]
    assert (last["action"], last["actor_name"], last["actor_id"]) == ("auto_remind", "系统", None)
    assert (last["from_status"], last["to_status"]) == ("assigned", "assigned")
    assert last["at"] == AT_RISK
    assert last["details"]["task_ids"] == [task["id"]]
    assert datetime.fromisoformat(last["details"]["handle_due"]) == DUE
    (task,) = task_rows(session, event_id)
    assert task["at_risk_notified_at"] == AT_RISK
    assert task["overdue_notified_at"] is None


def test_past_the_deadline_the_task_is_overdue_with_a_yellow_order(session, people):
    event_id = assigned_event(session, people)
    (task,) = task_rows(session, event_id)
    sweep(session=session, now=AT_RISK)
    now = DUE + MINUTE

    result = sweep(session=session, now=now)

    assert result == SweepResult(overdue_events=1, at_risk_events=0)
    event = event_row(session, event_id)
    assert (event["overdue"], event["at_risk"], event["status"]) == (True, False, "assigned")
    assert event["version"] == 5
    reminder, order = supervision_rows(session, event_id)
    assert reminder["kind"] == "reminder"
    assert (order["kind"], order["level"], order["state"]) == ("order", "yellow", "open")
    assert (order["task_id"], order["unit"]) == (task["id"], ZHIFA)
    assert order["issued_at"] == now
    # one working day later: 2 h 59 min on Tuesday, 4 h 31 min on Wednesday
    assert order["reply_due"] == at("2025-03-12 14:31")
    entries = timeline_rows(session, event_id)
    assert [(e["seq"], e["action"]) for e in entries[3:]] == [
        (4, "auto_remind"),
        (5, "auto_supervise"),
    ]
    last = entries[-1]
    assert (last["actor_name"], last["at"]) == ("系统", now)
    assert last["details"]["task_ids"] == [task["id"]]
    assert last["details"]["supervision_ids"] == [order["id"]]
    assert last["details"]["level"] == "yellow"
    assert datetime.fromisoformat(last["details"]["reply_due"]) == at("2025-03-12 14:31")
    assert datetime.fromisoformat(last["details"]["handle_due"]) == DUE
    (task,) = task_rows(session, event_id)
    assert task["overdue_notified_at"] == now


def test_the_reply_to_an_order_issued_on_friday_is_due_on_monday(session, people):
    event_id = assigned_event(session, people)
    friday = at("2025-03-14 16:00")

    sweep(session=session, now=friday)

    (order,) = supervision_rows(session, event_id)
    assert order["reply_due"] == at("2025-03-17 16:00")


def test_the_sweep_again_at_the_same_moment_changes_nothing(session, people):
    event_id = assigned_event(session, people)
    now = DUE + MINUTE
    assert sweep(session=session, now=now) == SweepResult(1, 0)
    after_first = snapshot(session, event_id)

    assert sweep(session=session, now=now) == SweepResult(0, 0)
    assert snapshot(session, event_id) == after_first
    # nor later: an overdue task is not reminded, nor supervised again by the system
    assert sweep(session=session, now=now + timedelta(days=3)) == SweepResult(0, 0)
    assert snapshot(session, event_id) == after_first
    assert [e["action"] for e in timeline_rows(session, event_id)] == [
        "report",
        "accept",
        "assign",
        "auto_supervise",
    ]
    assert [r["kind"] for r in supervision_rows(session, event_id)] == ["order"]


def test_three_tasks_due_at_once_make_one_entry_and_one_version(session, people):
    event_id = assigned_event(session, people, co_units=(PCS, SJS))
    tasks = task_rows(session, event_id)
    assert [(t["unit"], t["role"]) for t in tasks] == [(ZHIFA, "lead"), (PCS, "co"), (SJS, "co")]
    assert {t["handle_due"] for t in tasks} == {DUE}
    task_ids = [t["id"] for t in tasks]

    assert sweep(session=session, now=AT_RISK) == SweepResult(0, 1)
    assert sweep(session=session, now=DUE) == SweepResult(1, 0)

    assert event_row(session, event_id)["version"] == 5
    entries = timeline_rows(session, event_id)
    assert [(e["seq"], e["action"]) for e in entries[3:]] == [
        (4, "auto_remind"),
        (5, "auto_supervise"),
    ]
    assert entries[3]["details"]["task_ids"] == task_ids
    assert entries[4]["details"]["task_ids"] == task_ids
    orders = [r for r in supervision_rows(session, event_id) if r["kind"] == "order"]
    reminders = [r for r in supervision_rows(session, event_id) if r["kind"] == "reminder"]
    assert [(r["task_id"], r["unit"]) for r in orders] == [(t["id"], t["unit"]) for t in tasks]
    assert [(r["task_id"], r["unit"]) for r in reminders] == [(t["id"], t["unit"]) for t in tasks]
    assert entries[4]["details"]["supervision_ids"] == [r["id"] for r in orders]


def test_a_done_task_is_never_marked(session, people):
    event_id = assigned_event(session, people, co_units=(PCS,))
    lead, co = task_rows(session, event_id)
    handle(session, event_id, people.pcs, at("2025-03-11 10:00"))
    assert [t["state"] for t in task_rows(session, event_id)] == ["pending", "done"]

    sweep(session=session, now=AT_RISK)
    sweep(session=session, now=DUE + MINUTE)

    entries = timeline_rows(session, event_id)
    assert [e["action"] for e in entries[-2:]] == ["auto_remind", "auto_supervise"]
    assert entries[-2]["details"]["task_ids"] == [lead["id"]]
    assert entries[-1]["details"]["task_ids"] == [lead["id"]]
    assert {r["unit"] for r in supervision_rows(session, event_id)} == {ZHIFA}
    _, co_after = task_rows(session, event_id)
    assert co_after["at_risk_notified_at"] is None
    assert co_after["overdue_notified_at"] is None


def test_a_handled_event_is_left_alone(session, people):
    event_id = assigned_event(session, people)
    handle(session, event_id, people.zhifa, at("2025-03-11 10:00"))
    before = snapshot(session, event_id)
    assert before[0]["status"] == "handled"

    assert sweep(session=session, now=DUE + timedelta(days=30)) == SweepResult(0, 0)
    assert snapshot(session, event_id) == before


def test_an_approved_extension_moves_the_deadline_past_the_next_sweep(session, people):
    event_id = assigned_event(session, people)
    act(
        session,
        event_id,
        Action.request_extension,
        people.zhifa,
        at("2025-03-11 10:00"),
        s.RequestExtensionBody,
        extra="2wd",
        reason="需要协调清运车辆",
    )
    (request_id,) = session.scalars(
        text("SELECT id FROM extension_request WHERE event_id = :id"), {"id": event_id}
    )
    act(
        session,
        event_id,
        Action.decide_extension,
        people.commander,
        at("2025-03-11 10:30"),
        s.DecideExtensionBody,
        request_id=request_id,
        approve=True,
    )
    new_due = at("2025-03-13 14:30")  # two working days after 14:30 on Tuesday
    (task,) = task_rows(session, event_id)
    assert task["handle_due"] == new_due
    assert event_row(session, event_id)["handle_due"] == new_due
    version = event_row(session, event_id)["version"]

    assert sweep(session=session, now=DUE + MINUTE) == SweepResult(0, 0)
    event = event_row(session, event_id)
    assert (event["overdue"], event["at_risk"], event["version"]) == (False, False, version)
    assert supervision_rows(session, event_id) == []

    assert sweep(session=session, now=new_due + MINUTE).overdue_events == 1
    assert event_row(session, event_id)["overdue"] is True
    (order,) = (r for r in supervision_rows(session, event_id) if r["kind"] == "order")
    assert order["issued_at"] == new_due + MINUTE


def test_an_extension_approved_after_the_reminder_clears_the_risk(session, people):
    """The unit is reminded, asks for two more working days, and gets them; work done in the
    same session after a sweep sees the sweep's changes (versions and flags)."""
    event = session.get(Event, assigned_event(session, people))  # held, as a loader would

    assert sweep(session=session, now=AT_RISK) == SweepResult(0, 1)
    assert event.version == 4 and event.at_risk is True
    act(
        session,
        event.id,
        Action.request_extension,
        people.zhifa,
        AT_RISK + MINUTE,
        s.RequestExtensionBody,
        extra="2wd",
        reason="需要协调清运车辆",
    )
    (request_id,) = session.scalars(
        text("SELECT id FROM extension_request WHERE event_id = :id"), {"id": event.id}
    )
    act(
        session,
        event.id,
        Action.decide_extension,
        people.commander,
        AT_RISK + 2 * MINUTE,
        s.DecideExtensionBody,
        request_id=request_id,
        approve=True,
    )

    row = event_row(session, event.id)
    assert (row["version"], row["at_risk"], row["overdue"]) == (6, False, False)
    assert [e["seq"] for e in timeline_rows(session, event.id)] == [1, 2, 3, 4, 5, 6]
    assert sweep(session=session, now=DUE + MINUTE) == SweepResult(0, 0)
    assert supervision_rows(session, event.id)[-1]["kind"] == "reminder"


def test_the_deadline_shown_is_the_one_the_sweep_uses(session, people, client):
    event_id = assigned_event(session, people, co_units=(PCS,))

    shown = client.get(f"/api/v1/events/{event_id}")
    assert shown.status_code == 200, shown.text
    body = shown.json()
    due = datetime.fromisoformat(body["handle_due"])
    assert [datetime.fromisoformat(t["handle_due"]) for t in body["tasks"]] == [due, due]
    assert [datetime.fromisoformat(t["at_risk_at"]) for t in body["tasks"]] == [AT_RISK] * 2
    assert due == DUE
    assert [t["handle_due"] for t in task_rows(session, event_id)] == [due, due]

    assert sweep(session=session, now=due - timedelta(seconds=1)).overdue_events == 0
    assert sweep(session=session, now=due).overdue_events == 1

    after = client.get(f"/api/v1/events/{event_id}").json()
    assert after["overdue"] is True
    assert after["version"] == body["version"] + 2  # the reminder, then the order
    assert datetime.fromisoformat(after["handle_due"]) == due


# --- the in-app scheduler, on committed data ----------------------------------------------------


def test_the_in_app_sweep_thread_issues_the_order(engine, demo_loaded):
    """SweepThread with a 1 s interval, on the committed test database (SHUXIN_DATABASE_URL):
    an event assigned on 5 January 2026 (overdue since) gets its order within seconds. The
    event and its rows stay (timelines are append-only)."""
    from api.demo.people import admin_actor
    from api.scheduler import SweepThread

    with Session(engine) as session:
        admin = admin_actor(session)
        lon, lat = session.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(a.geom) AS p FROM area a "
                "JOIN boundary_set b ON b.id = a.set_id AND b.is_active "
                "WHERE a.level = 'grid' AND a.code LIKE '330825001%' ORDER BY a.code LIMIT 1) x"
            )
        ).one()
        out, _ = create_event(
            session=session,
            data=s.EventIn(
                title="定时督办测试：垃圾未清运",
                category_code="0102",
                source="hotline",
                lon=lon,
                lat=lat,
                external_id=f"sweep-thread-{uuid.uuid4().hex}",
            ),
            actor=admin,
        )
        act(session, out.id, Action.accept, admin, at("2026-01-05 08:50"), s.AcceptBody)
        act(
            session,
            out.id,
            Action.assign,
            admin,
            at("2026-01-05 09:00"),
            s.AssignBody,
            lead_unit="330825001-zhifa",
        )
        session.commit()
        event_id = out.id

    def orders() -> list:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT kind, level, state FROM supervision WHERE event_id = :id "
                    "AND issued_by_id IS NULL"
                ),
                {"id": event_id},
            ).all()

    assert orders() == []
    thread = SweepThread(interval_s=1)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not orders() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        thread.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert orders() == [("order", "yellow", "open")]
    with engine.connect() as connection:
        overdue, version = connection.execute(
            text("SELECT overdue, version FROM event WHERE id = :id"), {"id": event_id}
        ).one()
        actions = connection.scalars(
            text("SELECT action FROM event_timeline WHERE event_id = :id ORDER BY seq"),
            {"id": event_id},
        ).all()
    assert overdue is True
    assert actions == ["report", "accept", "assign", "auto_supervise"]
    assert version == 4
