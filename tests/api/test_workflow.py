"""The closed loop of an event (事件受理交办、处置反馈、督办考核), as its users go through it.

Everything a user does goes over HTTP (in-process, on the test's transaction). Where the clock
decides the answer (deadlines, lateness, the sweep), the step goes through
`api.events.workflow.perform` at a fixed time in March 2025, the way the scheduler and the CLI
call it. The `grid_set` squares (tests/conftest.py) make township 330825100 with village
330825100001 and grids ...001-003; `sync_units` makes its units: the command room -ZHS, the
platforms (-zhifa ...), the departments (-PCS, -SJS, -ZFZD ...), the village and the grids.

After every successful step `Loop` checks what a user would see: the new state, a version one
higher, and a timeline whose seq runs 1..version without gaps, each entry starting from the
state the previous one ended in, with the action, the actor and the actor's unit.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from api.events.transitions import ACTIONS, Action
from api.events.workflow import perform
from api.supervision.models import Supervision
from api.supervision.service import sweep
from api.units.models import Unit, UnitKind
from api.units.service import sync_units
from api.users.service import actor_for
from tests.conftest import sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOWNSHIP = "330825100"
OTHER_TOWNSHIP = "330825199"  # not a real Longyou township: made here, with one platform
VILLAGE = "330825100001"
GRID_A = "330825100001001"
ZHS = f"{TOWNSHIP}-ZHS"
ZHIFA = f"{TOWNSHIP}-zhifa"
PCS = f"{TOWNSHIP}-PCS"
SJS = f"{TOWNSHIP}-SJS"
ZFZD = f"{TOWNSHIP}-ZFZD"
COUNTY = "330825-ZX"
OTHER_ZHS = f"{OTHER_TOWNSHIP}-ZHS"
OTHER_ZHIFA = f"{OTHER_TOWNSHIP}-zhifa"
EVENTS = "/api/v1/events"

PEOPLE = {  # login: (role, unit code)
    "wf-zhs": ("commander", ZHS),
    "wf-zhifa": ("handler", ZHIFA),
    "wf-pcs": ("handler", PCS),
    "wf-sjs": ("handler", SJS),
    "wf-zfzd": ("handler", ZFZD),
    "wf-wgy": ("grid_worker", GRID_A),
    "wf-village": ("grid_worker", VILLAGE),
    "wf-county": ("county", COUNTY),
    "wf-viewer": ("viewer", ZHS),
    "wf-other": ("commander", OTHER_ZHS),
}
OBSERVER = "wf-zhs"  # sees every event of the township: reads states and timelines

# Fixed times (Asia/Shanghai). 2025-03-07 is a Friday, 03-10 the Monday after: ordinary working
# days. Category 0102 暴露垃圾: acknowledge within 1 working hour, handle within 4 (80% = 3.2).
# Working hours are 08:30-12:00 and 13:30-17:30.
FRIDAY_1600 = datetime(2025, 3, 7, 16, 0, tzinfo=SHANGHAI)


def march(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=SHANGHAI)


def at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def png_1x1() -> bytes:
    """A valid 1x1 grey PNG, built by hand (Pillow is not installed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


# What `allowed_actions` in an event answer offers each role, by state (written out here, not
# read from api/events/transitions.py); a state not listed offers nothing.
HANDLING = ("assigned", "acknowledged", "in_progress")
HANDLER_WHILE_HANDLING = {
    "acknowledge",
    "start",
    "return",
    "feedback",
    "request_extension",
    "answer_supervision",
}
# An open supervision order may outlive the handling: the unit can answer it in any later state.
AFTER_ASSIGNMENT = ("accepted", "handled", "closed", "rejected", "returned", "escalated")
HANDLER = {
    **{state: HANDLER_WHILE_HANDLING for state in HANDLING},
    **{state: {"answer_supervision"} for state in AFTER_ASSIGNMENT},
}
ALLOWED: dict[str, dict[str, set[str]]] = {
    "commander": {
        "reported": {"accept", "reject"},
        "accepted": {"reject", "assign", "escalate"},
        "returned": {"reject", "assign", "escalate"},
        **{state: {"escalate", "decide_extension", "supervise"} for state in HANDLING},
        "handled": {"verify"},
        "closed": {"rate"},
    },
    "handler": HANDLER,
    "grid_worker": {**HANDLER, "handled": {"verify", "answer_supervision"}},
    "county": {"escalated": {"county_return", "county_close"}},
    "viewer": {},
}


@dataclass
class Loop:
    """The township's people, signed in, and the steps they take (each step checked)."""

    client: object
    session: Session
    users: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)

    # --- reading ---------------------------------------------------------------------------

    def get(self, login: str, event_id: int):
        return self.client.get(f"{EVENTS}/{event_id}", headers=self.headers[login])

    def event(self, event_id: int, login: str = OBSERVER) -> dict:
        answer = self.get(login, event_id)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def timeline(self, event_id: int, login: str = OBSERVER) -> list[dict]:
        answer = self.client.get(f"{EVENTS}/{event_id}/timeline", headers=self.headers[login])
        assert answer.status_code == 200, answer.text
        return answer.json()

    def task(self, event: dict, unit_code: str) -> dict:
        """The live task of a unit on the event (the newest one)."""
        return [t for t in event["tasks"] if t["unit_code"] == unit_code][-1]

    def queue(self, login: str, name: str) -> list[int]:
        """Ids in a queue, every page of it (committed demo data may share the database)."""
        ids: list[int] = []
        while True:
            answer = self.client.get(
                f"/api/v1/queues/{name}",
                params={"limit": 500, "offset": len(ids)},
                headers=self.headers[login],
            )
            assert answer.status_code == 200, answer.text
            page = [e["id"] for e in answer.json()]
            ids += page
            if len(page) < 500:
                return ids

    def listed(self, login: str, event_id: int) -> bool:
        """Whether the event is in the user's GET /api/v1/events (every page of it)."""
        offset = 0
        while True:
            answer = self.client.get(
                EVENTS, params={"limit": 1000, "offset": offset}, headers=self.headers[login]
            )
            assert answer.status_code == 200, answer.text
            items = answer.json()["items"]
            if any(e["id"] == event_id for e in items):
                return True
            if len(items) < 1000:
                return False
            offset += 1000

    def orders(self, event_id: int) -> list[Supervision]:
        return list(
            self.session.scalars(
                select(Supervision)
                .where(Supervision.event_id == event_id)
                .order_by(Supervision.id)
                .execution_options(populate_existing=True)
            )
        )

    # --- acting ----------------------------------------------------------------------------

    def report(self, login: str = "wf-wgy", **overrides) -> dict:
        body = {
            "title": "路边暴露垃圾",
            "description": "桥头东侧有一堆生活垃圾未清运",
            "category_code": "0102",
            "source": "grid_worker",
            "lon": 119.005,
            "lat": 29.005,
            **overrides,
        }
        answer = self.client.post(EVENTS, json=body, headers=self.headers[login])
        assert answer.status_code == 201, answer.text
        event = answer.json()
        assert (event["status"], event["version"]) == ("reported", 1)
        self.check_timeline(event["id"], 1)
        return self.check_allowed(login, event)

    def post(self, login: str, event_id: int, action: str, **body):
        return self.client.post(
            f"{EVENTS}/{event_id}/actions/{action}", json=body, headers=self.headers[login]
        )

    def act(self, login: str, event_id: int, action: str, *, to: str, **body) -> dict:
        """`login` takes `action` over HTTP with the version just read; the event as they see
        it now. Checks the state, the version and the new timeline entry."""
        before = self.event(event_id)
        answer = self.post(login, event_id, action, version=before["version"], **body)
        assert answer.status_code == 200, answer.text
        self.check_step(before, login, action, to)
        return self.check_allowed(login, answer.json())

    def act_at(
        self, login: str, event_id: int, action: str, now: datetime, *, to: str, **body
    ) -> dict:
        """The same step through the service at a fixed time (the clock decides deadlines)."""
        before = self.event(event_id)
        kind = Action(action)
        perform(
            session=self.session,
            event_id=event_id,
            action=kind,
            actor=actor_for(self.session, self.users[login].id),
            body=ACTIONS[kind].body(version=before["version"], **body),
            now=now,
        )
        self.session.flush()
        entry = self.check_step(before, login, action, to)
        assert at(entry["at"]) == now
        return self.check_allowed(login, self.event(event_id, login))

    def refused(
        self,
        login: str,
        event_id: int,
        action: str,
        status: int,
        error: str,
        field: str | None = None,
        **body,
    ) -> dict:
        """`login` tries `action` and is refused; nothing changes. The error body."""
        before = self.event(event_id)
        body.setdefault("version", before["version"])
        answer = self.post(login, event_id, action, **body)
        assert answer.status_code == status, answer.text
        problem = answer.json()
        assert problem["error"] == error, problem
        assert problem["message"]
        if field is not None:
            assert problem["field"] == field, problem
        after = self.event(event_id)
        assert (after["status"], after["version"]) == (before["status"], before["version"])
        assert len(self.timeline(event_id)) == before["version"]
        return problem

    def upload(self, login: str, event_id: int) -> int:
        answer = self.client.post(
            f"{EVENTS}/{event_id}/attachments",
            files={"file": ("after.png", png_1x1(), "image/png")},
            data={"kind": "after"},
            headers=self.headers[login],
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    def sweep(self, now: datetime) -> None:
        """One pass of the deadline sweep at `now`, as the scheduler runs it."""
        assert sweep(session=self.session, now=now).ran
        # The sweep writes with SQL: drop what this (shared) session remembers of the rows.
        self.session.expire_all()

    # --- checking --------------------------------------------------------------------------

    def check_timeline(self, event_id: int, version: int) -> list[dict]:
        """Seq 1..version without gaps; each entry starts where the previous one ended."""
        entries = self.timeline(event_id)
        assert [e["seq"] for e in entries] == list(range(1, version + 1))
        assert entries[0]["action"] == "report" and entries[0]["from_status"] is None
        for previous, entry in zip(entries, entries[1:], strict=False):
            assert entry["from_status"] == previous["to_status"], entry
        return entries

    def check_allowed(self, login: str, event: dict) -> dict:
        """The actions the event answer offers `login` are those of their role in its state."""
        role = PEOPLE[login][0]
        assert set(event["allowed_actions"]) == ALLOWED[role].get(event["status"], set()), (
            login,
            event["status"],
        )
        return event

    def check_step(self, before: dict, login: str, action: str, to: str) -> dict:
        after = self.event(before["id"])
        assert after["status"] == to
        assert after["version"] == before["version"] + 1
        entry = self.check_timeline(before["id"], after["version"])[-1]
        role, unit = PEOPLE[login]
        assert (
            entry["action"],
            entry["actor"],
            entry["actor_role"],
            entry["unit_code"],
            entry["from_status"],
            entry["to_status"],
        ) == (action, login, role, unit, before["status"], to)
        return entry

    # --- common beginnings -----------------------------------------------------------------

    def accepted(self) -> int:
        event_id = self.report()["id"]
        self.act("wf-zhs", event_id, "accept", to="accepted")
        return event_id

    def handle(self, login: str, event_id: int, *, text: str = "已清运完毕") -> dict:
        """The unit acknowledges, starts and feeds back its (lead) task."""
        self.act(login, event_id, "acknowledge", to="acknowledged")
        self.act(login, event_id, "start", to="in_progress")
        return self.act(login, event_id, "feedback", to="handled", text=text)

    def handled(self) -> int:
        event_id = self.accepted()
        self.act("wf-zhs", event_id, "assign", to="assigned")
        self.handle("wf-zhifa", event_id)
        return event_id


@pytest.fixture
def media_in_tmp(tmp_path, monkeypatch):
    """Photos go to a temporary SHUXIN_HOME, not the working copy's."""
    from api.settings import get_settings

    monkeypatch.setenv("SHUXIN_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def loop(app_client, session, grid_set, make_user, media_in_tmp) -> Loop:
    """The units of the squares' township (and another township's command room and platform),
    a user per role, each signed in."""
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    county_id = session.scalar(select(Unit.id).where(Unit.code == COUNTY))
    room = Unit(
        code=OTHER_ZHS,
        name="另一镇综合信息指挥室",
        kind=UnitKind.command_room.value,
        parent_id=county_id,
        township_code=OTHER_TOWNSHIP,
        area_codes=[OTHER_TOWNSHIP],
    )
    session.add(room)
    session.flush()
    session.add(
        Unit(
            code=OTHER_ZHIFA,
            name="另一镇监管执法平台",
            kind=UnitKind.platform.value,
            parent_id=room.id,
            township_code=OTHER_TOWNSHIP,
            platform_code="zhifa",
            area_codes=[OTHER_TOWNSHIP],
        )
    )
    session.flush()
    result = Loop(app_client, session)
    for login, (role, unit) in PEOPLE.items():
        result.users[login] = make_user(login, role, unit)
        result.headers[login] = sign_in(app_client, login)
    return result


class TestClosedLoop:
    """Every path an event can take, step by step."""

    def test_normal_close_with_working_hour_deadlines(self, loop):
        report = loop.report("wf-wgy")
        event_id = report["id"]
        assert (report["routing"]["township_code"], report["routing"]["grid_code"]) == (
            TOWNSHIP,
            GRID_A,
        )
        assert report["allowed_actions"] == []  # a grid worker has nothing to do on a report
        [entry] = loop.timeline(event_id)
        assert (entry["action"], entry["actor"], entry["unit_code"], entry["to_status"]) == (
            "report",
            "wf-wgy",
            GRID_A,
            "reported",
        )
        assert set(loop.event(event_id)["allowed_actions"]) == {"accept", "reject"}
        # Before it is assigned the platform does not even see it; the viewer may not accept.
        loop.refused("wf-zhifa", event_id, "accept", 404, "event_not_found")
        loop.refused("wf-viewer", event_id, "accept", 403, "forbidden", "role")

        event = loop.act("wf-zhs", event_id, "accept", to="accepted")
        assert set(event["allowed_actions"]) == {"reject", "assign", "escalate"}

        # Assigned on Friday 16:00 to the default unit, the township's 监管执法 platform:
        # acknowledge by 17:00; handle by Monday 11:00 (1.5 h on Friday, 2.5 h from 08:30);
        # at risk from Monday 10:12 (3.2 working hours).
        event = loop.act_at("wf-zhs", event_id, "assign", FRIDAY_1600, to="assigned")
        [task] = event["tasks"]
        assert (task["unit_code"], task["role"], task["state"]) == (ZHIFA, "lead", "pending")
        assert at(task["assigned_at"]) == FRIDAY_1600
        assert at(task["acknowledge_due"]) == march(7, 17, 0)
        assert at(task["handle_due"]) == march(10, 11, 0)
        assert at(task["at_risk_at"]) == march(10, 10, 12)
        assert at(event["handle_due"]) == march(10, 11, 0)
        assert set(event["allowed_actions"]) == {"escalate", "decide_extension", "supervise"}
        details = loop.timeline(event_id)[-1]["details"]
        assert details["lead"]["code"] == ZHIFA and details["co"] == []
        assert details["default_unit"] is True
        assert details["limit"] == "4 working hours"
        assert at(details["handle_due"]) == march(10, 11, 0)

        # Who may do what now: not the command room, and only in order.
        loop.refused("wf-zhs", event_id, "acknowledge", 403, "forbidden", "role")
        problem = loop.refused(
            "wf-zhifa", event_id, "feedback", 409, "illegal_transition", text="已清运"
        )
        assert problem["task_state"] == "pending" and problem["status"] == "assigned"
        loop.refused("wf-pcs", event_id, "acknowledge", 404, "event_not_found")

        event = loop.act_at(
            "wf-zhifa", event_id, "acknowledge", march(7, 16, 30), to="acknowledged"
        )
        assert set(event["allowed_actions"]) == HANDLER_WHILE_HANDLING
        assert loop.timeline(event_id)[-1]["details"]["late"] is False
        event = loop.act_at("wf-zhifa", event_id, "start", march(10, 8, 45), to="in_progress")
        assert loop.task(event, ZHIFA)["state"] == "in_progress"

        photo = loop.upload("wf-zhifa", event_id)
        event = loop.act_at(
            "wf-zhifa",
            event_id,
            "feedback",
            march(10, 10, 50),
            to="handled",
            text="已清运完毕",
            attachment_ids=[photo],
        )
        task = loop.task(event, ZHIFA)
        assert (task["state"], at(task["done_at"]), task["overdue"]) == (
            "done",
            march(10, 10, 50),
            False,
        )
        entry = loop.timeline(event_id)[-1]
        assert entry["attachment_ids"] == [photo] and entry["comment"] == "已清运完毕"
        assert entry["details"]["late"] is False and entry["details"]["result"] == "resolved"
        assert set(loop.event(event_id)["allowed_actions"]) == {"verify"}

        event = loop.act_at(
            "wf-zhs", event_id, "verify", march(10, 14, 0), to="closed", passed=True
        )
        assert event["closure_type"] == "normal"
        assert event["allowed_actions"] == ["rate"]
        event = loop.act("wf-zhs", event_id, "rate", to="closed", level="satisfied")
        assert event["satisfaction"] == "satisfied"
        assert [e["action"] for e in loop.timeline(event_id)] == [
            "report",
            "accept",
            "assign",
            "acknowledge",
            "start",
            "feedback",
            "verify",
            "rate",
        ]

    def test_reject_as_duplicate_keeps_the_link(self, loop, session):
        original = loop.report()["id"]
        duplicate = loop.report(title="同一堆垃圾，另一人上报")["id"]

        loop.refused(
            "wf-zhs", duplicate, "reject", 422, "invalid_input", "duplicate_of", reason="duplicate"
        )
        loop.refused(
            "wf-zhs",
            duplicate,
            "reject",
            422,
            "invalid_input",
            "duplicate_of",
            reason="duplicate",
            duplicate_of=duplicate,
        )
        # An event of another township is not one this command room may name: it answers
        # exactly as for an event that does not exist.
        elsewhere = loop.report(title="另一镇的事件")["id"]
        session.execute(
            text("UPDATE event SET township_code = :t WHERE id = :id"),
            {"t": OTHER_TOWNSHIP, "id": elsewhere},
        )
        session.expire_all()
        hidden = loop.refused(
            "wf-zhs",
            duplicate,
            "reject",
            422,
            "invalid_input",
            "duplicate_of",
            reason="duplicate",
            duplicate_of=elsewhere,
        )
        missing_id = session.scalar(text("SELECT max(id) + 1000 FROM event"))
        missing = loop.refused(
            "wf-zhs",
            duplicate,
            "reject",
            422,
            "invalid_input",
            "duplicate_of",
            reason="duplicate",
            duplicate_of=missing_id,
        )
        assert hidden["message"].replace(str(elsewhere), "#") == missing["message"].replace(
            str(missing_id), "#"
        )

        event = loop.act(
            "wf-zhs", duplicate, "reject", to="rejected", reason="duplicate", duplicate_of=original
        )
        assert (event["reject_reason"], event["duplicate_of"]) == ("duplicate", original)
        assert event["allowed_actions"] == []
        assert loop.timeline(duplicate)[-1]["details"] == {
            "reason": "duplicate",
            "duplicate_of": original,
        }
        problem = loop.refused("wf-zhs", duplicate, "accept", 409, "illegal_transition")
        assert (problem["status"], problem["allowed_actions"]) == ("rejected", [])
        assert loop.event(original)["status"] == "reported"

    def test_return_and_reassign(self, loop):
        event_id = loop.accepted()
        event = loop.act("wf-zhs", event_id, "assign", to="assigned", co_units=[PCS])
        assert {(t["unit_code"], t["role"]) for t in event["tasks"]} == {
            (ZHIFA, "lead"),
            (PCS, "co"),
        }
        loop.act("wf-zhifa", event_id, "acknowledge", to="acknowledged")
        loop.refused("wf-zhifa", event_id, "return", 422, "validation_error", "reason")

        event = loop.act("wf-zhifa", event_id, "return", to="returned", reason="不属于本单位职责")
        assert event["counts"]["returned"] == 1
        assert event["handle_due"] is None
        assert {t["unit_code"]: t["state"] for t in event["tasks"]} == {
            ZHIFA: "returned",
            PCS: "cancelled",
        }
        assert loop.timeline(event_id)[-1]["comment"] == "不属于本单位职责"
        assert set(loop.event(event_id)["allowed_actions"]) == {"reject", "assign", "escalate"}
        assert event_id in loop.queue("wf-zhs", "to_assign")
        loop.refused("wf-pcs", event_id, "acknowledge", 409, "illegal_transition")

        event = loop.act("wf-zhs", event_id, "assign", to="assigned", lead_unit=ZFZD)
        new = loop.task(event, ZFZD)
        assert (new["role"], new["state"]) == ("lead", "pending")
        assert at(event["handle_due"]) == at(new["handle_due"])
        details = loop.timeline(event_id)[-1]["details"]
        assert details["lead"]["code"] == ZFZD and details["default_unit"] is False
        problem = loop.refused("wf-zhifa", event_id, "acknowledge", 409, "illegal_transition")
        assert problem["task_state"] == "returned"

        loop.handle("wf-zfzd", event_id)
        event = loop.act("wf-zhs", event_id, "verify", to="closed", passed=True)
        assert event["closure_type"] == "normal"
        assert event["counts"]["returned"] == 1

    def test_rework_after_a_failed_verification(self, loop):
        event_id = loop.handled()
        loop.refused("wf-zhs", event_id, "verify", 422, "invalid_input", "comment", passed=False)
        # The grid worker who reported it may verify it; another grid worker of the village
        # (who sees it) may not, nor may a handler.
        problem = loop.refused(
            "wf-village", event_id, "verify", 403, "forbidden", "role", passed=True
        )
        assert "they reported" in problem["message"]
        loop.refused("wf-zhifa", event_id, "verify", 403, "forbidden", "role", passed=True)

        event = loop.act(
            "wf-wgy", event_id, "verify", to="in_progress", passed=False, comment="垃圾仍未清理干净"
        )
        assert event["counts"]["rework"] == 1
        task = loop.task(event, ZHIFA)
        assert (task["state"], task["rework_count"], task["done_at"]) == ("in_progress", 1, None)
        entry = loop.timeline(event_id)[-1]
        assert entry["details"] == {"passed": False, "rework_tasks": [task["id"]]}
        assert entry["comment"] == "垃圾仍未清理干净"

        loop.act("wf-zhifa", event_id, "feedback", to="handled", text="已再次清理")
        event = loop.act("wf-wgy", event_id, "verify", to="closed", passed=True)
        assert (event["closure_type"], event["counts"]["rework"]) == ("normal", 1)

    def test_extension_approved_and_refused(self, loop):
        event_id = loop.accepted()
        loop.act_at("wf-zhs", event_id, "assign", FRIDAY_1600, to="assigned")
        loop.act_at("wf-zhifa", event_id, "acknowledge", march(7, 16, 20), to="acknowledged")
        loop.refused(
            "wf-zhifa", event_id, "request_extension", 422, "invalid_input", "new_due", reason="x"
        )
        loop.refused(
            "wf-zhifa",
            event_id,
            "request_extension",
            422,
            "invalid_input",
            "extra",
            extra="two days",
            reason="需协调清运车辆",
        )

        # 2 working days (15 h) after Monday 11:00: Wednesday 11:00.
        loop.act_at(
            "wf-zhifa",
            event_id,
            "request_extension",
            march(10, 9, 0),
            to="acknowledged",
            extra="2wd",
            reason="需协调清运车辆",
        )
        details = loop.timeline(event_id)[-1]["details"]
        assert at(details["current_due"]) == march(10, 11, 0)
        assert at(details["requested_due"]) == march(12, 11, 0)
        request_id = details["request_id"]
        loop.refused(
            "wf-zhifa",
            event_id,
            "request_extension",
            409,
            "conflict",
            "task_id",
            extra="1wd",
            reason="再延一天",
        )
        loop.refused(
            "wf-zhifa",
            event_id,
            "decide_extension",
            403,
            "forbidden",
            "role",
            request_id=request_id,
            approve=True,
        )

        event = loop.act_at(
            "wf-zhs",
            event_id,
            "decide_extension",
            march(10, 9, 30),
            to="acknowledged",
            request_id=request_id,
            approve=True,
        )
        task = loop.task(event, ZHIFA)
        assert at(task["handle_due"]) == march(12, 11, 0)
        assert at(event["handle_due"]) == march(12, 11, 0)
        # At risk after 80% of the new span in working hours (19 h → 15.2 h): Tuesday 16:12.
        assert at(task["at_risk_at"]) == march(11, 16, 12)
        assert (task["extension_count"], event["counts"]["extended"]) == (1, 1)
        details = loop.timeline(event_id)[-1]["details"]
        assert details["approved"] is True
        assert (at(details["old_due"]), at(details["new_due"])) == (
            march(10, 11, 0),
            march(12, 11, 0),
        )
        loop.refused(
            "wf-zhs",
            event_id,
            "decide_extension",
            409,
            "conflict",
            "request_id",
            request_id=request_id,
            approve=True,
        )

        loop.act_at(
            "wf-zhifa",
            event_id,
            "request_extension",
            march(10, 10, 0),
            to="acknowledged",
            extra="1wd",
            reason="再延一天",
        )
        second = loop.timeline(event_id)[-1]["details"]
        assert at(second["requested_due"]) == march(13, 11, 0)
        event = loop.act_at(
            "wf-zhs",
            event_id,
            "decide_extension",
            march(10, 10, 30),
            to="acknowledged",
            request_id=second["request_id"],
            approve=False,
            comment="不予延期",
        )
        assert at(loop.task(event, ZHIFA)["handle_due"]) == march(12, 11, 0)
        assert at(event["handle_due"]) == march(12, 11, 0)
        assert event["counts"]["extended"] == 1
        assert loop.timeline(event_id)[-1]["details"]["approved"] is False

    def test_escalation_returned_or_closed_by_the_county(self, loop):
        event_id = loop.accepted()
        loop.act("wf-zhs", event_id, "assign", to="assigned")
        loop.refused("wf-zhs", event_id, "escalate", 422, "validation_error", "reason")
        loop.refused("wf-zhifa", event_id, "escalate", 403, "forbidden", "role", reason="x")

        event = loop.act("wf-zhs", event_id, "escalate", to="escalated", reason="涉及跨乡镇协调")
        assert [t["state"] for t in event["tasks"]] == ["cancelled"]
        assert event["handle_due"] is None
        assert event["allowed_actions"] == []
        assert event_id in loop.queue("wf-county", "escalated")
        assert set(loop.event(event_id, "wf-county")["allowed_actions"]) == {
            "county_return",
            "county_close",
        }
        loop.refused(
            "wf-zhs", event_id, "county_return", 403, "forbidden", "role", instructions="自行处置"
        )
        loop.refused(
            "wf-county", event_id, "county_return", 422, "validation_error", "instructions"
        )

        loop.act(
            "wf-county", event_id, "county_return", to="accepted", instructions="请乡镇牵头处置"
        )
        entry = loop.timeline(event_id)[-1]
        assert entry["comment"] == "请乡镇牵头处置"
        assert entry["details"] == {"instructions": "请乡镇牵头处置"}
        event = loop.act("wf-zhs", event_id, "assign", to="assigned")
        assert [t["state"] for t in event["tasks"]] == ["cancelled", "pending"]
        loop.handle("wf-zhifa", event_id)
        event = loop.act("wf-zhs", event_id, "verify", to="closed", passed=True)
        assert event["closure_type"] == "normal"

        other = loop.accepted()
        loop.act("wf-zhs", other, "escalate", to="escalated", reason="超出本级处置权限")
        loop.refused("wf-county", other, "county_close", 422, "validation_error", "comment")
        event = loop.act("wf-county", other, "county_close", to="closed", comment="县级部门已办结")
        assert event["closure_type"] == "special"
        assert loop.timeline(other)[-1]["details"] == {"closure_type": "special"}
        # Closed without handling: there is nothing to reopen.
        loop.refused(
            "wf-zhs",
            other,
            "rate",
            422,
            "invalid_input",
            "reopen",
            level="dissatisfied",
            reopen=True,
        )

    def test_joint_handling_by_three_units(self, loop):
        event_id = loop.accepted()
        event = loop.act(
            "wf-zhs", event_id, "assign", to="assigned", lead_unit=ZHIFA, co_units=[PCS, SJS]
        )
        tasks = {t["unit_code"]: t for t in event["tasks"]}
        assert {code: t["role"] for code, t in tasks.items()} == {
            ZHIFA: "lead",
            PCS: "co",
            SJS: "co",
        }
        deadlines = {
            (t["assigned_at"], t["acknowledge_due"], t["handle_due"], t["at_risk_at"])
            for t in tasks.values()
        }
        assert len(deadlines) == 1
        assert [c["code"] for c in loop.timeline(event_id)[-1]["details"]["co"]] == [PCS, SJS]

        # A co-unit sees the event, but may act only on its own task.
        assert loop.get("wf-pcs", event_id).status_code == 200
        zhifa_name = loop.session.scalar(select(Unit.name).where(Unit.code == ZHIFA))
        problem = loop.refused(
            "wf-pcs",
            event_id,
            "acknowledge",
            403,
            "forbidden",
            "unit",
            task_id=tasks[ZHIFA]["id"],
        )
        assert zhifa_name in problem["message"]

        loop.act("wf-pcs", event_id, "acknowledge", to="assigned")  # a co-unit: still assigned
        loop.act("wf-zhifa", event_id, "acknowledge", to="acknowledged")
        loop.act("wf-sjs", event_id, "acknowledge", to="acknowledged")
        loop.act("wf-sjs", event_id, "start", to="acknowledged")
        loop.act("wf-zhifa", event_id, "start", to="in_progress")
        loop.act("wf-pcs", event_id, "start", to="in_progress")

        loop.act("wf-zhifa", event_id, "feedback", to="in_progress", text="主办：已清运")
        event = loop.act("wf-pcs", event_id, "feedback", to="in_progress", text="协办：已维持秩序")
        assert {t["unit_code"]: t["state"] for t in event["tasks"]} == {
            ZHIFA: "done",
            PCS: "done",
            SJS: "in_progress",
        }
        assert event_id not in loop.queue("wf-zhs", "to_verify")
        problem = loop.refused("wf-pcs", event_id, "feedback", 409, "illegal_transition", text="x")
        assert problem["task_state"] == "done"

        event = loop.act("wf-sjs", event_id, "feedback", to="handled", text="协办：已查验摊点")
        assert all(t["state"] == "done" for t in event["tasks"])
        assert event_id in loop.queue("wf-zhs", "to_verify")
        event = loop.act("wf-zhs", event_id, "verify", to="closed", passed=True)
        assert event["closure_type"] == "normal"

    def test_overdue_with_automatic_supervision(self, loop):
        event_id = loop.accepted()
        loop.act_at("wf-zhs", event_id, "assign", FRIDAY_1600, to="assigned")
        zhifa_id = loop.session.scalar(select(Unit.id).where(Unit.code == ZHIFA))

        loop.sweep(march(10, 10, 11))  # before 80% of the time: nothing
        assert loop.event(event_id)["version"] == 3 and loop.orders(event_id) == []

        loop.sweep(march(10, 10, 12))  # 80% of 4 working hours
        event = loop.event(event_id)
        assert (event["version"], event["status"], event["at_risk"], event["overdue"]) == (
            4,
            "assigned",
            True,
            False,
        )
        entry = loop.check_timeline(event_id, 4)[-1]
        assert (entry["action"], entry["actor"], entry["actor_role"], entry["unit_code"]) == (
            "auto_remind",
            "系统",
            None,
            None,
        )
        assert (entry["from_status"], entry["to_status"]) == ("assigned", "assigned")
        [reminder] = loop.orders(event_id)
        assert (reminder.kind, reminder.unit_id, reminder.state) == ("reminder", zhifa_id, "closed")
        assert event_id in loop.queue("wf-zhs", "at_risk")

        loop.sweep(march(10, 11, 0))  # the deadline
        event = loop.event(event_id)
        assert (event["version"], event["at_risk"], event["overdue"]) == (5, False, True)
        entry = loop.check_timeline(event_id, 5)[-1]
        assert (entry["action"], entry["actor"]) == ("auto_supervise", "系统")
        order = loop.orders(event_id)[-1]
        assert (order.kind, order.level, order.state, order.unit_id) == (
            "order",
            "yellow",
            "open",
            zhifa_id,
        )
        assert order.reply_due == march(11, 11, 0)  # one working day to answer
        assert entry["details"]["supervision_ids"] == [order.id]
        assert entry["details"]["level"] == "yellow"
        assert event_id in loop.queue("wf-zhs", "overdue")
        assert event_id not in loop.queue("wf-zhs", "at_risk")
        assert event_id in loop.queue("wf-zhs", "supervision")
        assert event_id in loop.queue("wf-zhifa", "supervision")
        assert event_id not in loop.queue("wf-pcs", "supervision")

        loop.sweep(march(10, 11, 0))  # the same time again: nothing new
        assert loop.event(event_id)["version"] == 5
        assert len(loop.orders(event_id)) == 2

        loop.refused(
            "wf-zhs",
            event_id,
            "answer_supervision",
            403,
            "forbidden",
            "role",
            supervision_id=order.id,
            answer="x",
        )
        loop.act(
            "wf-zhifa",
            event_id,
            "answer_supervision",
            to="assigned",
            supervision_id=order.id,
            answer="车辆故障，今日办结",
        )
        order = loop.orders(event_id)[1]
        assert (order.state, order.answer) == ("answered", "车辆故障，今日办结")
        assert loop.timeline(event_id)[-1]["details"]["supervision_id"] == order.id
        assert event_id not in loop.queue("wf-zhifa", "supervision")
        loop.refused(
            "wf-zhifa",
            event_id,
            "answer_supervision",
            409,
            "conflict",
            "supervision_id",
            supervision_id=order.id,
            answer="再答一次",
        )

        loop.act(
            "wf-zhs",
            event_id,
            "supervise",
            to="assigned",
            level="red",
            reply_due="2025-03-11T17:00:00+08:00",
            message="严重超期，请立即办理",
        )
        red = loop.orders(event_id)[-1]
        assert (red.kind, red.level, red.state, red.unit_id) == ("order", "red", "open", zhifa_id)
        assert red.reply_due == march(11, 17, 0)
        details = loop.timeline(event_id)[-1]["details"]
        assert (details["supervision_id"], details["level"], details["unit"]["code"]) == (
            red.id,
            "red",
            ZHIFA,
        )
        assert at(details["reply_due"]) == march(11, 17, 0)
        assert event_id in loop.queue("wf-zhifa", "supervision")

    def test_dissatisfied_rating_reopens(self, loop):
        event_id = loop.handled()
        loop.act("wf-zhs", event_id, "verify", to="closed", passed=True)
        loop.refused(
            "wf-zhs",
            event_id,
            "rate",
            422,
            "invalid_input",
            "reopen",
            level="satisfied",
            reopen=True,
        )

        event = loop.act(
            "wf-zhs",
            event_id,
            "rate",
            to="in_progress",
            level="dissatisfied",
            reopen=True,
            comment="群众反映仍有垃圾",
        )
        assert (event["counts"]["reopened"], event["satisfaction"]) == (1, "dissatisfied")
        assert event["closure_type"] is None
        assert loop.task(event, ZHIFA)["state"] == "in_progress"

        loop.act("wf-zhifa", event_id, "feedback", to="handled", text="已彻底清理")
        loop.act("wf-zhs", event_id, "verify", to="closed", passed=True)
        event = loop.act("wf-zhs", event_id, "rate", to="closed", level="basically_satisfied")
        assert (event["satisfaction"], event["counts"]["reopened"]) == ("basically_satisfied", 1)
        # One rating per closure: a second one would overwrite what the citizen said.
        loop.refused("wf-zhs", event_id, "rate", 409, "conflict", "level", level="satisfied")


# --- refusals -----------------------------------------------------------------------------------


def test_an_action_the_state_does_not_allow_names_the_allowed_ones(loop):
    event_id = loop.report()["id"]
    problem = loop.refused("wf-zhs", event_id, "verify", 409, "illegal_transition", passed=True)
    assert problem["status"] == "reported"
    assert problem["allowed_actions"] == ["accept", "reject"]
    assert "accept, reject" in problem["message"]


def test_a_stale_version_is_refused_with_the_current_one(loop):
    event_id = loop.accepted()
    problem = loop.refused("wf-zhs", event_id, "assign", 409, "stale_version", "version", version=1)
    assert (problem["current_version"], problem["status"]) == (2, "accepted")


def test_acting_outside_ones_unit_or_township_is_forbidden(loop):
    event_id = loop.accepted()
    # Another township's platform is not this command room's to command.
    problem = loop.refused(
        "wf-zhs", event_id, "assign", 403, "forbidden", "lead_unit", lead_unit=OTHER_ZHIFA
    )
    assert "另一镇监管执法平台" in problem["message"]
    loop.refused("wf-zhs", event_id, "assign", 403, "forbidden", "co_units", co_units=[OTHER_ZHIFA])
    loop.act("wf-zhs", event_id, "assign", to="assigned")

    # The grid worker sees the events of the grid, but its unit has no task on this one.
    grid_name = loop.session.scalar(select(Unit.name).where(Unit.code == GRID_A))
    problem = loop.refused("wf-wgy", event_id, "acknowledge", 403, "forbidden", "unit")
    assert grid_name in problem["message"]

    # Another township's command room does not see the event at all.
    assert loop.get("wf-other", event_id).status_code == 404
    loop.refused(
        "wf-other", event_id, "supervise", 404, "event_not_found", level="red", message="x"
    )


def test_a_supervision_order_ends_with_the_task_it_was_about(loop):
    event_id = loop.accepted()
    loop.act("wf-zhs", event_id, "assign", to="assigned")
    loop.act("wf-zhs", event_id, "supervise", to="assigned", level="yellow", message="请尽快签收")
    order = loop.orders(event_id)[-1]
    assert order.state == "open"
    assert event_id in loop.queue("wf-zhifa", "supervision")
    loop.act("wf-zhifa", event_id, "return", to="returned", reason="不属于本单位职责")
    # The unit gave the task back: nobody is left to answer the order, so it ends with it.
    ended = loop.orders(event_id)[-1]
    assert ended.state == "closed" and "退回" in ended.answer
    assert event_id not in loop.queue("wf-zhifa", "supervision")
    loop.act("wf-zhs", event_id, "reject", to="rejected", reason="out_of_scope")
    refused = loop.post(
        "wf-zhifa",
        event_id,
        "answer_supervision",
        version=loop.event(event_id)["version"],
        supervision_id=order.id,
        answer="迟到的回复",
    )
    assert refused.status_code == 409 and "closed" in refused.json()["message"]


def test_a_viewer_can_look_but_not_act_or_report(loop):
    event_id = loop.report()["id"]
    assert loop.get("wf-viewer", event_id).status_code == 200
    assert loop.event(event_id, "wf-viewer")["allowed_actions"] == []
    problem = loop.refused("wf-viewer", event_id, "accept", 403, "forbidden", "role")
    assert "viewer" in problem["message"]
    answer = loop.client.post(
        EVENTS,
        json={
            "title": "x",
            "category_code": "0102",
            "source": "citizen",
            "lon": 119.005,
            "lat": 29.005,
        },
        headers=loop.headers["wf-viewer"],
    )
    assert answer.status_code == 403, answer.text
    assert (answer.json()["error"], answer.json()["field"]) == ("forbidden", "role")


def test_a_handler_sees_only_events_of_its_unit(loop):
    event_id = loop.accepted()
    loop.act("wf-zhs", event_id, "assign", to="assigned")
    assert loop.get("wf-zhifa", event_id).status_code == 200
    assert loop.listed("wf-zhifa", event_id)
    answer = loop.get("wf-pcs", event_id)
    assert answer.status_code == 404
    assert answer.json()["error"] == "event_not_found"
    assert not loop.listed("wf-pcs", event_id)
    answer = loop.client.get(f"{EVENTS}/{event_id}/timeline", headers=loop.headers["wf-pcs"])
    assert answer.status_code == 404
    assert event_id not in loop.queue("wf-pcs", "my_tasks")
    assert event_id in loop.queue("wf-zhifa", "my_tasks")


def test_every_endpoint_needs_sign_in(app_client):
    assert app_client.get("/health").status_code == 200
    calls = [
        ("POST", EVENTS),
        ("GET", EVENTS),
        ("GET", f"{EVENTS}/1"),
        ("GET", f"{EVENTS}/1/timeline"),
        ("GET", f"{EVENTS}/1/attachments"),
        ("POST", f"{EVENTS}/1/attachments"),
        ("GET", "/api/v1/attachments/1"),
    ]
    calls += [("POST", f"{EVENTS}/1/actions/{action.value}") for action in Action]
    calls += [
        ("GET", f"/api/v1/queues/{name}")
        for name in (
            "to_accept",
            "to_assign",
            "to_verify",
            "overdue",
            "at_risk",
            "my_tasks",
            "escalated",
            "supervision",
        )
    ]
    answers = {
        (method, path): app_client.request(
            method, path, json={"version": 1} if method == "POST" else None
        )
        for method, path in calls
    }
    wrong = {call: a.status_code for call, a in answers.items() if a.status_code != 401}
    assert wrong == {}
    assert all(a.json()["error"] == "unauthorized" for a in answers.values())


def test_the_timeline_cannot_be_edited(loop, session):
    event_id = loop.accepted()
    for statement in (
        "UPDATE event_timeline SET comment = 'changed' WHERE event_id = :id",
        "DELETE FROM event_timeline WHERE event_id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement), {"id": event_id})
    assert [e["action"] for e in loop.timeline(event_id)] == ["report", "accept"]
    assert loop.timeline(event_id)[0]["comment"] is None
