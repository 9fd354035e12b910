"""A world for the indicator and assessment tests: 320 events taken through the real closed
loop (`api.events.workflow.perform` at fixed times, and the deadline sweep) in October 2025.

Each event is reported by writing the two rows intake writes (the event with its routing and its
`report` timeline entry) at a chosen time, because intake stamps the database's clock; every
later step is a real action. Working hours are 08:30-12:00 and 13:30-17:30; category 0102
暴露垃圾 must be handled within 4 working hours. 2025's National Day holiday runs from 1 to 8
October (the State Council's notice): batch B is assigned before it and handled after it.

The batches (n events each, the times of every step, what they exercise):

  A 120  grid 001  Thu 10-09  report 09:00 (grid worker), accept 09:30, assign 10:00 (due 15:30),
                              feedback 14:00, verify 15:00; rated: 100 satisfied, 20 dissatisfied
  B  40  grid 003  Tue 09-30  report 16:00, accept 16:30, assign 17:00; the holiday: due Thu 10-09
                              12:00; feedback 10-09 11:00 (on time), verify 14:00
  C  30  grid 001  Mon 10-13  report 09:00 (grid worker), accept 09:10, assign 09:30 (due 15:00);
                              10 supervised 16:00 (reply by 10-14 09:30), 5 answer at 09:00;
                              feedback 10-14 10:00 (late), verify 10:30 (超时结案)
  D  25  grid 002  Wed 10-15  accept 09:30, assign 10:00, feedback 11:00, verify fails 11:30
                              (rework), feedback 14:00, verify 14:30
  E  20  grid 002  Thu 10-16  accept 09:30, assign 10:00, returned 10:30, assigned to the
                              police station 11:00 (due 16:30), feedback 15:00, verify 15:30
  F  15  grid 002  Fri 10-17  accept 09:30, assign 10:00 (due 15:30), extension of 1 working day
                              asked 11:00, approved 11:30 (due Mon 15:30); feedback Mon 10-20
                              14:00, verify 15:00
  G  10  grid 003  Tue 10-21  (during an emergency) accept 09:30, escalate 10:00, the county
                              closes it 10-22 10:00 (特殊结案)
  H  10  grid 003  Tue 10-21  (during an emergency) accept 09:30, escalate 10:00, the county
                              returns it 11:00, assigned to grid 001's unit 11:30 (due 17:00),
                              the grid worker feeds back 16:00, verify 16:30
  I  15  grid 001  Mon 10-27  accept 09:30, assign 10:00 (due 15:30), acknowledged and started;
                              the sweep at 15:31 issues an automatic order; open at the month's end
  J  20  grid 001  Tue 10-28  report (grid worker) 09:00, rejected as invalid 09:30
  K   5  grid 001  Fri 10-31  report (grid worker) 16:00, not yet accepted
  L  10  grid 003  Wed 10-29  accept 09:30, assign 10:00, feedback 11:00, verify 11:30, rated
                              dissatisfied and reopened 14:00, feedback 15:00, verify 16:00
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.events.models import Event, ExtensionRequest, Task, TimelineEntry
from api.events.transitions import ACTIONS, Action, SystemEntry
from api.events.workflow import perform
from api.indicators.periods import parse_period
from api.mode.models import ModeChange
from api.supervision.models import Supervision
from api.supervision.service import sweep
from api.units.models import Unit, UnitKind
from api.units.service import sync_units
from api.users.models import User
from api.users.service import actor_for
from tests.conftest import TEST_PASSWORD, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOWNSHIP = "330825100"
VILLAGE = "330825100001"
GRID_1, GRID_2, GRID_3 = (f"{VILLAGE}00{i}" for i in (1, 2, 3))
POINTS = {GRID_1: (119.005, 29.005), GRID_2: (119.012, 29.005), GRID_3: (119.022, 29.005)}
ZHS, ZHIFA, PCS, COUNTY = f"{TOWNSHIP}-ZHS", f"{TOWNSHIP}-zhifa", f"{TOWNSHIP}-PCS", "330825-ZX"
PEOPLE = {
    "in-zhs": ("commander", ZHS),
    "in-zhifa": ("handler", ZHIFA),
    "in-pcs": ("handler", PCS),
    "in-wgy": ("grid_worker", GRID_1),
    "in-county": ("county", COUNTY),
    "in-viewer": ("viewer", ZHS),
    "in-other": ("commander", "330825199-ZHS"),
    "in-handler-only": ("handler", f"{TOWNSHIP}-SJS"),
}
OCTOBER = parse_period("2025-10")
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI)  # well after the month: T = 1 November


def oct_(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class World:
    session: Session
    users: dict[str, User]
    batches: dict[str, list[int]]
    set_id: int | None = None

    def actor(self, login: str):
        return actor_for(self.session, self.users[login].id)

    def act(self, login: str, event_id: int, action: str, at: datetime, **body) -> Event:
        kind = Action(action)
        version = self.session.scalar(select(Event.version).where(Event.id == event_id))
        event = perform(
            session=self.session,
            event_id=event_id,
            action=kind,
            actor=self.actor(login),
            body=ACTIONS[kind].body(version=version, **body),
            now=at,
        )
        self.session.flush()
        return event

    def report(self, login: str, grid: str, at: datetime, category: str = "0102") -> int:
        """The two rows intake writes, at `at`: the event routed `inside` its grid, and the
        `report` entry of its timeline."""
        user = self.users[login]
        actor = self.actor(login)
        lon, lat = POINTS[grid]
        event = Event(
            title="路边暴露垃圾",
            description="考核指标测试",
            category_code=category,
            source="grid_worker" if actor.role.value == "grid_worker" else "citizen",
            location=f"SRID=4326;POINT({lon} {lat})",
            input_lon=lon,
            input_lat=lat,
            routing_method="inside",
            routing_set_id=self.set_id,
            grid_code=grid,
            village_code=VILLAGE,
            township_code=TOWNSHIP,
            routing_distance_m=0.0,
            routing_candidates=[grid],
            reported_by_id=user.id,
            created_at=at,
            updated_at=at,
        )
        self.session.add(event)
        self.session.flush()
        self.session.add(
            TimelineEntry(
                event_id=event.id,
                seq=1,
                at=at,
                action=SystemEntry.report.value,
                actor_id=user.id,
                actor_name=user.display_name,
                actor_role=actor.role.value,
                unit_code=actor.unit_code,
                unit_name=actor.unit_name,
                to_status="reported",
                details={"source": event.source, "routing": "inside"},
            )
        )
        self.session.flush()
        return event.id

    def handle(self, login: str, event_id: int, ack: datetime, start: datetime, done: datetime):
        self.act(login, event_id, "acknowledge", ack)
        self.act(login, event_id, "start", start)
        self.act(login, event_id, "feedback", done, text="已处置")

    def lead_task(self, event_id: int) -> Task:
        return self.session.scalars(
            select(Task).where(Task.event_id == event_id, Task.role == "lead").order_by(Task.id)
        ).all()[-1]


def _people(session: Session, password_hash: str) -> dict[str, User]:
    county_id = session.scalar(select(Unit.id).where(Unit.code == COUNTY))
    session.add(
        Unit(
            code="330825199-ZHS",
            name="另一镇综合信息指挥室",
            kind=UnitKind.command_room.value,
            parent_id=county_id,
            township_code="330825199",
            area_codes=["330825199"],
        )
    )
    session.flush()
    users = {}
    for login, (role, unit_code) in PEOPLE.items():
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
        users[login] = User(
            login=login, display_name=login, role=role, unit_id=unit_id, password_hash=password_hash
        )
        session.add(users[login])
    session.flush()
    return users


def build(w: World) -> None:
    """The batches of the module docstring, step by step."""
    b = w.batches

    def normal(login, grid, day, rep, acc, asg, done, ver, **assign) -> int:
        event_id = w.report(login, grid, rep)
        w.act("in-zhs", event_id, "accept", acc)
        w.act("in-zhs", event_id, "assign", asg, **assign)
        return event_id

    for i in range(120):  # A
        e = normal("in-wgy", GRID_1, 9, oct_(9, 9), oct_(9, 9, 30), oct_(9, 10), None, None)
        w.handle("in-zhifa", e, oct_(9, 10, 15), oct_(9, 10, 30), oct_(9, 14))
        w.act("in-zhs", e, "verify", oct_(9, 15), passed=True)
        w.act("in-zhs", e, "rate", oct_(9, 16), level="satisfied" if i < 100 else "dissatisfied")
        b["A"].append(e)
    for _ in range(40):  # B: across the National Day holiday
        e = w.report("in-zhs", GRID_3, oct_(30, 16, month=9))
        w.act("in-zhs", e, "accept", oct_(30, 16, 30, month=9))
        w.act("in-zhs", e, "assign", oct_(30, 17, month=9))
        assert w.lead_task(e).handle_due == oct_(9, 12)
        w.handle("in-zhifa", e, oct_(9, 8, 40), oct_(9, 9), oct_(9, 11))
        w.act("in-zhs", e, "verify", oct_(9, 14), passed=True)
        b["B"].append(e)
    for i in range(30):  # C: late, some supervised
        e = w.report("in-wgy", GRID_1, oct_(13, 9))
        w.act("in-zhs", e, "accept", oct_(13, 9, 10))
        w.act("in-zhs", e, "assign", oct_(13, 9, 30))
        w.act("in-zhifa", e, "acknowledge", oct_(13, 9, 40))
        w.act("in-zhifa", e, "start", oct_(13, 9, 50))
        if i < 10:
            w.act(
                "in-zhs",
                e,
                "supervise",
                oct_(13, 16),
                level="red",
                message="请说明超期原因",
                reply_due=oct_(14, 9, 30),
            )
            if i < 5:
                order = w.session.scalar(select(Supervision.id).where(Supervision.event_id == e))
                w.act("in-zhifa", e, "answer_supervision", oct_(14, 9), supervision_id=order,
                      answer="正在处置")  # fmt: skip
        w.act("in-zhifa", e, "feedback", oct_(14, 10), text="已处置")
        w.act("in-zhs", e, "verify", oct_(14, 10, 30), passed=True)
        b["C"].append(e)
    for _ in range(25):  # D: rework
        e = normal("in-zhs", GRID_2, 15, oct_(15, 9), oct_(15, 9, 30), oct_(15, 10), None, None)
        w.handle("in-zhifa", e, oct_(15, 10, 15), oct_(15, 10, 30), oct_(15, 11))
        w.act("in-zhs", e, "verify", oct_(15, 11, 30), passed=False, comment="未清理干净")
        w.act("in-zhifa", e, "feedback", oct_(15, 14), text="已重新清理")
        w.act("in-zhs", e, "verify", oct_(15, 14, 30), passed=True)
        b["D"].append(e)
    for _ in range(20):  # E: returned, reassigned to the police station
        e = normal("in-zhs", GRID_2, 16, oct_(16, 9), oct_(16, 9, 30), oct_(16, 10), None, None)
        w.act("in-zhifa", e, "return", oct_(16, 10, 30), reason="不属于本平台职责")
        w.act("in-zhs", e, "assign", oct_(16, 11), lead_unit=PCS)
        w.handle("in-pcs", e, oct_(16, 11, 15), oct_(16, 11, 30), oct_(16, 15))
        w.act("in-zhs", e, "verify", oct_(16, 15, 30), passed=True)
        b["E"].append(e)
    for _ in range(15):  # F: an extension of one working day
        e = normal("in-zhs", GRID_2, 17, oct_(17, 9), oct_(17, 9, 30), oct_(17, 10), None, None)
        w.act("in-zhifa", e, "acknowledge", oct_(17, 10, 15))
        w.act("in-zhifa", e, "start", oct_(17, 10, 30))
        w.act("in-zhifa", e, "request_extension", oct_(17, 11), extra="1wd", reason="需协调")
        request = w.session.scalar(
            select(ExtensionRequest.id).where(ExtensionRequest.event_id == e)
        )
        w.act("in-zhs", e, "decide_extension", oct_(17, 11, 30), request_id=request, approve=True)
        assert w.lead_task(e).handle_due == oct_(20, 15, 30)
        w.act("in-zhifa", e, "feedback", oct_(20, 14), text="已处置")
        w.act("in-zhs", e, "verify", oct_(20, 15), passed=True)
        b["F"].append(e)
    w.session.add_all(
        [
            ModeChange(township_code=TOWNSHIP, mode="emergency", level="III", reason="台风",
                       village_codes=[], at=oct_(21, 8)),
            ModeChange(township_code=TOWNSHIP, mode="peacetime", reason="台风过境",
                       village_codes=[], at=oct_(22, 8)),
        ]
    )  # fmt: skip
    w.session.flush()
    for _ in range(10):  # G: escalated, closed by the county
        e = w.report("in-zhs", GRID_3, oct_(21, 9))
        w.act("in-zhs", e, "accept", oct_(21, 9, 30))
        w.act("in-zhs", e, "escalate", oct_(21, 10), reason="需县级协调")
        w.act("in-county", e, "county_close", oct_(22, 10), comment="县级已办结")
        b["G"].append(e)
    for _ in range(10):  # H: escalated, returned by the county, handled by the grid
        e = w.report("in-zhs", GRID_3, oct_(21, 9))
        w.act("in-zhs", e, "accept", oct_(21, 9, 30))
        w.act("in-zhs", e, "escalate", oct_(21, 10), reason="需县级协调")
        w.act("in-county", e, "county_return", oct_(21, 11), instructions="请网格处置")
        w.act("in-zhs", e, "assign", oct_(21, 11, 30), lead_unit=GRID_1)
        w.handle("in-wgy", e, oct_(21, 13, 40), oct_(21, 14), oct_(21, 16))
        w.act("in-zhs", e, "verify", oct_(21, 16, 30), passed=True)
        b["H"].append(e)
    for _ in range(20):  # J: rejected
        e = w.report("in-wgy", GRID_1, oct_(28, 9))
        w.act("in-zhs", e, "reject", oct_(28, 9, 30), reason="invalid")
        b["J"].append(e)
    for _ in range(5):  # K: waiting at the month's end
        b["K"].append(w.report("in-wgy", GRID_1, oct_(31, 16)))
    for _ in range(10):  # L: reopened by a dissatisfied rating
        e = normal("in-zhs", GRID_3, 29, oct_(29, 9), oct_(29, 9, 30), oct_(29, 10), None, None)
        w.handle("in-zhifa", e, oct_(29, 10, 15), oct_(29, 10, 30), oct_(29, 11))
        w.act("in-zhs", e, "verify", oct_(29, 11, 30), passed=True)
        w.act("in-zhs", e, "rate", oct_(29, 14), level="dissatisfied", reopen=True)
        w.act("in-zhifa", e, "feedback", oct_(29, 15), text="已再次处置")
        w.act("in-zhs", e, "verify", oct_(29, 16), passed=True)
        b["L"].append(e)
    for _ in range(15):  # I: overdue, open at the month's end (the only open tasks now)
        e = normal("in-zhs", GRID_1, 27, oct_(27, 9), oct_(27, 9, 30), oct_(27, 10), None, None)
        w.act("in-zhifa", e, "acknowledge", oct_(27, 10, 30))
        w.act("in-zhifa", e, "start", oct_(27, 11))
        b["I"].append(e)
    assert sweep(session=w.session, now=oct_(27, 15, 31)).overdue_events == 15
    w.session.expire_all()


@pytest.fixture(scope="module")
def world(engine, password_hash) -> Iterator[World]:
    """The 320 events, built once for the module in a transaction rolled back at its end
    (each test works inside a savepoint of it)."""
    from gis.boundaries import activate_set
    from tests.conftest import square

    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        boundary_set = _squares(session, square)
        activate_set(session, boundary_set.name)
        sync_units(session=session, set_id=boundary_set.id, county_code="330825",
                   county_name="龙游县")  # fmt: skip
        users = _people(session, password_hash)
        w = World(session, users, {k: [] for k in "ABCDEFGHIJKL"}, boundary_set.id)
        build(w)
        yield w
    finally:
        session.close()
        outer.rollback()
        connection.close()


def _squares(session: Session, square):
    from geoalchemy2.shape import from_shape

    from gis.models import Area, BoundarySet

    boundary_set = BoundarySet(name="indicator-squares")
    session.add(boundary_set)
    session.flush()
    shapes = {
        TOWNSHIP: ("township", "测试镇", None, square(118.99, 28.99, 0.05)),
        VILLAGE: ("village", "测试村", TOWNSHIP, square(118.995, 28.995, 0.04)),
        GRID_1: ("grid", "测试村第1网格", VILLAGE, square(119.00, 29.00, 0.01)),
        GRID_2: ("grid", "测试村第2网格", VILLAGE, square(119.01, 29.00, 0.01)),
        GRID_3: ("grid", "测试村第3网格", VILLAGE, square(119.015, 29.00, 0.01)),
    }
    for code, (level, name, parent, geom) in shapes.items():
        session.add(
            Area(set_id=boundary_set.id, level=level, code=code, name=name, parent_code=parent,
                 geom=from_shape(geom, srid=4326), area_m2=0.0)
        )  # fmt: skip
    session.flush()
    return boundary_set


@pytest.fixture
def w(world) -> Iterator[World]:
    nested = world.session.begin_nested()
    try:
        yield world
    finally:
        nested.rollback()
        world.session.expire_all()


def _redraw(session: Session) -> None:
    """A new boundary set where grid 001 covers everything, activated."""
    from geoalchemy2.shape import from_shape

    from gis.boundaries import activate_set
    from gis.models import Area, BoundarySet
    from tests.conftest import square

    redrawn = BoundarySet(name="indicator-redrawn")
    session.add(redrawn)
    session.flush()
    session.add(
        Area(set_id=redrawn.id, level="grid", code=GRID_1, name="合并网格", parent_code=VILLAGE,
             geom=from_shape(square(118.99, 28.99, 0.05), srid=4326), area_m2=0.0)
    )  # fmt: skip
    session.flush()
    activate_set(session, "indicator-redrawn")


@pytest.fixture
def app_client_on():
    """The app on the module's transaction, with each person signed in (`w.headers(login)`)."""
    from fastapi.testclient import TestClient

    from api.deps import Transactions, forget_actors, get_transactions
    from api.main import create_app

    clients = []

    def make(w: World):
        class OnWorld(Transactions):
            def run(self, work):
                with w.session.begin_nested():
                    return work(w.session)

        app = create_app()
        forget_actors()
        transactions = OnWorld()

        async def _transactions():
            return transactions

        app.dependency_overrides[get_transactions] = _transactions
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        cache: dict[str, dict] = {}

        def headers(login: str) -> dict:
            if login not in cache:
                cache[login] = sign_in(client, login, TEST_PASSWORD)
            return cache[login]

        w.headers = headers  # type: ignore[attr-defined]
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
