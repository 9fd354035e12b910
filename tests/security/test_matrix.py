"""The authorization matrix: every route of the app × every kind of caller, with the status each
must get. The routes are read from the app itself: a route added without its row here fails
`test_every_route_has_its_row`.

Callers: an administrator; the command room of the event's township (zhs) and of another one
(other); the handling platform (zhifa, the lead unit once assigned); the grid worker who reported
the event (wgy); the county centre; a viewer of the command room; a user who must still change
their password; a disabled user; no token; an expired token; a signed-out (revoked) token.

Each cell runs on fresh data: an event of township 330825100 reported by wgy, taken through the
real workflow to the state the route needs.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from api import clock
from api.attachments.service import store
from api.events import schemas as s
from api.events.models import ExtensionRequest
from api.events.service import create_event
from api.events.transitions import ACTIONS, Action
from api.events.workflow import perform
from api.patrols.schemas import PatrolStart
from api.patrols.service import start_patrol
from api.settings import get_settings
from api.supervision.models import Supervision
from api.units.models import Unit, UnitKind
from api.units.service import sync_units
from api.users.models import User
from api.users.security import issue_token
from api.users.service import actor_for
from api.users.sessions import end_session

T = "330825100"
OTHER = "330825199"
ROLES = ("admin", "zhs", "other", "zhifa", "wgy", "county", "viewer")
SIGNED_OUT = ("disabled", "no_token", "expired", "revoked")
CALLERS = (*ROLES, "must_change", *SIGNED_OUT)
USERS = {  # caller: (login, role, unit)
    "admin": ("mx-admin", "admin", None),
    "zhs": ("mx-zhs", "commander", f"{T}-ZHS"),
    "other": ("mx-other", "commander", f"{OTHER}-ZHS"),
    "zhifa": ("mx-zhifa", "handler", f"{T}-zhifa"),
    "wgy": ("mx-wgy", "grid_worker", f"{T}001001"),
    "county": ("mx-county", "county", "330825-ZX"),
    "viewer": ("mx-viewer", "viewer", f"{T}-ZHS"),
    "must_change": ("mx-new", "commander", f"{T}-ZHS"),
    "disabled": ("mx-off", "commander", f"{T}-ZHS"),
    "expired": ("mx-old", "commander", f"{T}-ZHS"),
    "revoked": ("mx-out", "commander", f"{T}-ZHS"),
}
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    # The phone page's service worker and manifest: no data, and browsers fetch a manifest
    # without the cookie.
    ("GET", "/m/sw.js"),
    ("GET", "/m/manifest.webmanifest"),
}


def allowed(*who: str, ok: int = 200, default: int = 403, **others: int) -> dict[str, int]:
    """Statuses of the seven roles: `ok` for `who`, `others` as given, `default` for the rest."""
    table = {role: default for role in ROLES}
    table.update({role: ok for role in who})
    table.update(others)
    return table


EVERYONE = allowed(*ROLES)
SCREEN = allowed("admin", "zhs", "other", "county", "viewer")
# Who can see the event: the others get 404 (not told it exists).
SEES = {"other": 404, "zhifa": 404}
SEES_ASSIGNED = {"other": 404}
# Indicators, assessments and reviews of township T: another township's commander is not told
# they exist (404); a handling platform and a grid worker have no part in them (403).
ASSESSED = allowed("admin", "zhs", "county", "viewer", other=404)


@dataclass
class Cell:
    """How to call a route, and what each caller gets."""

    expect: dict[str, int]
    state: str | None = None  # the event's state the call needs (None: no event; "patrol": a
    # patrol of wgy's)
    body: dict | None = None
    params: dict = field(default_factory=dict)
    page: bool = False  # a page: signed in by the cookie, sent to /login when not
    signed_in_only: bool = False  # works before the password is changed (me, refresh, ...)
    form: bool = False  # the body as a form (Open311), signed in by the bearer token
    event_param: str = "event_id"  # the path parameter the event's id goes in


PNG = (
    b"\x89PNG\r\n\x1a\n"
    + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    + struct.pack(">I", zlib.crc32(b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)))
    + struct.pack(">I", 10) + b"IDAT" + zlib.compress(b"\x00\x80")
    + struct.pack(">I", zlib.crc32(b"IDAT" + zlib.compress(b"\x00\x80")))
    + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
)  # fmt: skip
E = "/api/v1/events/{event_id}"
A = E + "/actions/"
REPORT = {"title": "暴露垃圾", "category_code": "0102", "source": "grid_worker",
          "lon": 119.005, "lat": 29.005}  # fmt: skip
POINTS = {"points": [{"seq": 0, "at": "2026-01-05T09:00:00+08:00", "lon": 119.005,
          "lat": 29.005, "accuracy_m": 10}]}  # fmt: skip
SQUARE = {"geometry": {"type": "Polygon", "coordinates": [[[119.0, 29.0], [119.02, 29.0],
          [119.02, 29.01], [119.0, 29.0]]]}, "range": "all"}  # fmt: skip

MATRIX: dict[tuple[str, str], Cell] = {
    # --- signing in ---
    ("POST", "/api/v1/auth/refresh"): Cell(EVERYONE, signed_in_only=True),
    ("POST", "/api/v1/auth/password"): Cell(
        allowed(*ROLES, ok=422),
        signed_in_only=True,
        body={"current_password": "not-the-password", "new_password": "雨后的山路-2026"},
    ),
    ("POST", "/api/v1/auth/logout"): Cell(allowed(*ROLES, ok=204), signed_in_only=True),
    ("GET", "/api/v1/me"): Cell(EVERYONE, signed_in_only=True),
    # --- the spatial reference ---
    ("GET", "/api/v1/boundary-sets"): Cell(EVERYONE),
    ("GET", "/api/v1/boundaries"): Cell(EVERYONE),
    ("GET", "/api/v1/boundaries/{code}"): Cell(EVERYONE, params={"code": T}),
    ("GET", "/api/v1/route"): Cell(EVERYONE, params={"lon": 119.005, "lat": 29.005}),
    ("GET", "/api/v1/categories"): Cell(EVERYONE),
    ("GET", "/api/v1/units"): Cell(EVERYONE),
    ("GET", "/api/v1/pois"): Cell(EVERYONE),
    ("GET", "/api/v1/mode"): Cell(EVERYONE, params={"township": T}),
    ("POST", "/api/v1/mode"): Cell(
        allowed("admin", "zhs", ok=201),
        body={"township_code": T, "mode": "emergency", "level": "IV", "reason": "演练"},
    ),
    ("GET", "/api/v1/audit"): Cell(allowed("admin", "county")),
    # --- events ---
    ("POST", "/api/v1/events"): Cell(allowed(*ROLES, ok=201, viewer=403), body=REPORT),
    ("GET", "/api/v1/events"): Cell(EVERYONE),
    ("GET", E): Cell(allowed(*ROLES, **SEES), state="reported"),
    ("GET", E + "/timeline"): Cell(allowed(*ROLES, **SEES), state="reported"),
    ("POST", E + "/reveal"): Cell(
        allowed("zhs", **SEES), state="reported", body={"reason": "回访核实情况"}
    ),
    ("GET", "/api/v1/queues/{name}"): Cell(EVERYONE, params={"name": "to_accept"}),
    ("POST", E + "/attachments"): Cell(
        allowed(*ROLES, ok=201, viewer=403, **SEES), state="reported"
    ),  # fmt: skip
    ("GET", E + "/attachments"): Cell(allowed(*ROLES, **SEES), state="reported"),
    ("GET", "/api/v1/attachments/{attachment_id}"): Cell(allowed(*ROLES, **SEES), state="photo"),
    # --- the closed loop (each action from a state that allows it) ---
    ("POST", A + "accept"): Cell(allowed("admin", "zhs", **SEES), state="reported", body={}),
    ("POST", A + "reject"): Cell(
        allowed("admin", "zhs", **SEES), state="reported", body={"reason": "invalid"}
    ),
    ("POST", A + "assign"): Cell(
        allowed("admin", "zhs", **SEES), state="accepted", body={"lead_unit": f"{T}-zhifa"}
    ),
    ("POST", A + "acknowledge"): Cell(
        allowed("admin", "zhifa", **SEES_ASSIGNED), state="assigned", body={}
    ),  # fmt: skip
    ("POST", A + "start"): Cell(
        allowed("admin", "zhifa", **SEES_ASSIGNED), state="acknowledged", body={}
    ),  # fmt: skip
    ("POST", A + "return"): Cell(
        allowed("admin", "zhifa", **SEES_ASSIGNED),
        state="assigned",
        body={"reason": "不属于本平台"},
    ),  # fmt: skip
    ("POST", A + "feedback"): Cell(
        allowed("admin", "zhifa", **SEES_ASSIGNED), state="in_progress", body={"text": "已清理"}
    ),  # fmt: skip
    # The grid worker who reported the event verifies its handling too.
    ("POST", A + "verify"): Cell(
        allowed("admin", "zhs", "wgy", **SEES_ASSIGNED), state="handled", body={"passed": True}
    ),  # fmt: skip
    ("POST", A + "escalate"): Cell(
        allowed("admin", "zhs", **SEES), state="accepted", body={"reason": "需县级协调"}
    ),  # fmt: skip
    ("POST", A + "county_return"): Cell(
        allowed("admin", "county", **SEES), state="escalated", body={"instructions": "请乡镇处置"}
    ),  # fmt: skip
    ("POST", A + "county_close"): Cell(
        allowed("admin", "county", **SEES), state="escalated", body={"comment": "县级已办结"}
    ),  # fmt: skip
    ("POST", A + "request_extension"): Cell(
        allowed("admin", "zhifa", **SEES_ASSIGNED),
        state="in_progress",
        body={"extra": "1wd", "reason": "需采购材料"},
    ),  # fmt: skip
    ("POST", A + "decide_extension"): Cell(
        allowed("admin", "zhs", **SEES_ASSIGNED), state="extension", body={"approve": True}
    ),  # fmt: skip
    ("POST", A + "supervise"): Cell(
        allowed("admin", "zhs", **SEES_ASSIGNED),
        state="assigned",
        body={"level": "yellow", "message": "请尽快办理"},
    ),  # fmt: skip
    ("POST", A + "answer_supervision"): Cell(
        allowed("admin", "zhifa", **SEES_ASSIGNED), state="order", body={"answer": "已安排"}
    ),  # fmt: skip
    ("POST", A + "rate"): Cell(
        allowed("admin", "zhs", **SEES_ASSIGNED), state="closed", body={"level": "satisfied"}
    ),  # fmt: skip
    ("GET", "/api/v1/supervision/orders"): Cell(EVERYONE),
    ("GET", "/api/v1/worktime/periods"): Cell(EVERYONE),
    # --- patrols: anyone who patrols starts one; only the patroller feeds and ends it ---
    ("POST", "/api/v1/patrols"): Cell(
        allowed("admin", "zhs", "other", "zhifa", "wgy", ok=201), body={"external_id": "mx-p"}
    ),
    ("POST", "/api/v1/patrols/{patrol_id}/points"): Cell(
        allowed("wgy", default=404, county=403, viewer=403), state="patrol", body=POINTS
    ),
    ("POST", "/api/v1/patrols/{patrol_id}/end"): Cell(
        allowed("wgy", default=404, county=403, viewer=403), state="patrol", body={}
    ),
    ("GET", "/api/v1/patrols"): Cell(EVERYONE),
    # --- the command screen ---
    ("GET", "/api/v1/screen/summary"): Cell(SCREEN),
    ("GET", "/api/v1/screen/map"): Cell(SCREEN, params={"bbox": "118,28,120,30", "zoom": 12}),
    ("GET", "/api/v1/screen/heat"): Cell(SCREEN, params={"bbox": "118,28,120,30", "zoom": 12}),
    ("GET", "/api/v1/screen/lists"): Cell(SCREEN),
    ("GET", "/api/v1/screen/changes"): Cell(SCREEN, params={"since": 0}),
    ("POST", "/api/v1/screen/within"): Cell(SCREEN, body=SQUARE),
    ("GET", "/api/v1/screen/search"): Cell(SCREEN, params={"q": "垃圾"}),
    # --- pages ---
    ("GET", "/screen"): Cell(SCREEN, page=True),
    ("GET", "/"): Cell(EVERYONE, page=True),
    ("GET", "/m"): Cell(allowed(*ROLES, viewer=403), page=True),
    ("GET", "/password"): Cell(EVERYONE, page=True, signed_in_only=True),
    ("POST", "/password"): Cell(
        allowed(*ROLES, ok=422),
        page=True,
        signed_in_only=True,
        body={"current_password": "x", "new_password": "y", "repeat_password": "y"},
    ),
    ("POST", "/logout"): Cell(allowed(*ROLES, ok=303), page=True, signed_in_only=True),
    # --- OGC API - Features: everyone signed in; events as visible_clause says ---
    ("GET", "/ogc"): Cell(EVERYONE),
    ("GET", "/ogc/"): Cell(EVERYONE),
    ("GET", "/ogc/api"): Cell(EVERYONE),
    ("GET", "/ogc/conformance"): Cell(EVERYONE),
    ("GET", "/ogc/collections"): Cell(EVERYONE),
    ("GET", "/ogc/collections/{collection_id}"): Cell(EVERYONE, params={"collection_id": "grids"}),
    ("GET", "/ogc/collections/{collection_id}/queryables"): Cell(
        EVERYONE, params={"collection_id": "events"}
    ),
    ("GET", "/ogc/collections/{collection_id}/items"): Cell(
        EVERYONE, params={"collection_id": "events"}
    ),
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"): Cell(
        allowed(*ROLES, **SEES),
        state="reported",
        params={"collection_id": "events"},
        event_param="feature_id",
    ),
    # --- Open311 GeoReport v2: reading as above; reporting as POST /api/v1/events ---
    ("GET", "/open311/v2/discovery.{fmt}"): Cell(EVERYONE, params={"fmt": "json"}),
    ("GET", "/open311/v2/services.{fmt}"): Cell(EVERYONE, params={"fmt": "json"}),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): Cell(
        EVERYONE, params={"fmt": "json", "service_code": "0102"}
    ),
    ("GET", "/open311/v2/requests.{fmt}"): Cell(EVERYONE, params={"fmt": "json"}),
    ("GET", "/open311/v2/requests/{request_id}.{fmt}"): Cell(
        allowed(*ROLES, **SEES), state="reported", params={"fmt": "json"}, event_param="request_id"
    ),
    ("POST", "/open311/v2/requests.{fmt}"): Cell(
        allowed(*ROLES, ok=201, viewer=403),
        params={"fmt": "json"},
        body={"service_code": "0102", "lat": "29.005", "long": "119.005", "description": "垃圾"},
        form=True,
    ),
    # --- indicators, assessments and reviews (a township sees its own, the county all) ---
    ("GET", "/api/v1/indicators"): Cell(SCREEN, params={"period": "2025-10", "by": "grid"}),
    ("GET", "/api/v1/indicators/definitions"): Cell(EVERYONE),
    ("GET", "/api/v1/indicators/events"): Cell(SCREEN, params={"period": "2025-10", "set": "due"}),
    ("GET", "/api/v1/indicators/map.png"): Cell(
        SCREEN, params={"period": "2025-10", "by": "grid", "indicator": "close_rate"}
    ),
    ("GET", "/api/v1/assessments"): Cell(SCREEN),
    ("POST", "/api/v1/assessments"): Cell(
        allowed("admin", "zhs", "county", ok=201),
        body={"level": "grid", "township": T, "period": "2025-10"},
    ),
    ("GET", "/api/v1/assessments/schemes"): Cell(SCREEN),
    ("GET", "/api/v1/assessments/{assessment_id}"): Cell(ASSESSED, state="published"),
    # A draft is seen (and published) only by those who may publish it.
    ("POST", "/api/v1/assessments/{assessment_id}/publish"): Cell(
        allowed("admin", "zhs", "county", other=404, viewer=404), state="draft"
    ),
    ("GET", "/api/v1/assessments/{assessment_id}/events"): Cell(
        ASSESSED, state="published", params={"subject": f"{T}001001", "set": "due"}
    ),
    ("GET", "/api/v1/assessments/{assessment_id}/export.xlsx"): Cell(ASSESSED, state="published"),
    ("GET", "/api/v1/assessments/{assessment_id}/report"): Cell(ASSESSED, state="published"),
    ("GET", "/api/v1/assessments/{assessment_id}/map.png"): Cell(ASSESSED, state="published"),
    ("POST", "/api/v1/reviews/notes"): Cell(
        allowed("admin", "zhs", "county", ok=201),
        body={"kind": "month", "subject": f"{T}:2025-10", "conclusions": "按期", "lessons": "无"},
    ),
    ("GET", "/api/v1/reviews/emergencies"): Cell(SCREEN),
    ("GET", "/assess"): Cell(SCREEN, page=True),
    ("GET", "/assess/events"): Cell(SCREEN, page=True, params={"period": "2025-10", "set": "due"}),
    ("GET", "/review/event/{event_id}"): Cell(
        allowed("admin", "zhs", "county", "viewer", other=404), page=True, state="closed"
    ),
    ("GET", "/review/event/{event_id}/map.png"): Cell(
        allowed("admin", "zhs", "county", "viewer", other=404), page=True, state="closed"
    ),
    ("GET", "/review/emergency/{change_id}"): Cell(ASSESSED, page=True, state="emergency"),
    ("GET", "/review/emergency/{change_id}/map.png"): Cell(ASSESSED, page=True, state="emergency"),
    ("GET", "/review/month"): Cell(SCREEN, page=True, params={"period": "2025-10"}),
}


def _app_routes(app) -> set[tuple[str, str]]:
    def walk(routes, prefix=""):
        for route in routes:
            if type(route).__name__ == "_IncludedRouter":
                inner = route.include_context.prefix or ""
                yield from walk(route.original_router.routes, prefix + inner)
            elif isinstance(route, APIRoute) or hasattr(route, "methods"):
                for method in route.methods or ():
                    if method != "HEAD":
                        yield method, prefix + route.path

    return set(walk(app.routes))


def test_every_route_has_its_row():
    from api.main import create_app

    routes = _app_routes(create_app())
    missing = routes - set(MATRIX) - PUBLIC
    assert not missing, f"routes without a row in the authorization matrix: {sorted(missing)}"
    assert not (set(MATRIX) | PUBLIC) - routes, "rows for routes that do not exist"


# --- the world the cells run in -----------------------------------------------------------------


@pytest.fixture
def world(session, grid_set, make_user):
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    other = Unit(code=f"{OTHER}-ZHS", name="另一镇综合信息指挥室", kind=UnitKind.command_room,
                 township_code=OTHER, area_codes=[OTHER])  # fmt: skip
    session.add(other)
    session.flush()
    for login, role, unit in USERS.values():
        make_user(login, role, unit)
    session.execute(
        User.__table__.update().where(User.login == "mx-new").values(must_change_password=True)
    )
    session.execute(User.__table__.update().where(User.login == "mx-off").values(active=False))
    return session


def _user(session, caller: str) -> User:
    return session.scalar(select(User).where(User.login == USERS[caller][0]))


def _token(session, caller: str) -> str | None:
    if caller == "no_token":
        return None
    user = _user(session, caller)
    settings = get_settings()
    if caller == "expired":
        token, _ = issue_token(user_id=user.id, role=user.role.value, version=user.token_version,
                               settings=settings, now=clock.now() - timedelta(days=1))  # fmt: skip
        return token
    token, claims = issue_token(
        user_id=user.id, role=user.role.value, version=user.token_version, settings=settings
    )
    if caller == "revoked":
        end_session(session, user_id=user.id, session_id=claims.session_id,
                    expires=claims.expires)  # fmt: skip
    return token


def _event(session, state: str) -> dict:
    """A new event reported by wgy in township T, taken to `state` by the real workflow."""
    actor = {c: actor_for(session, _user(session, c).id) for c in ("wgy", "zhs", "zhifa")}
    out, _ = create_event(session=session, data=s.EventIn(**REPORT), actor=actor["wgy"])
    ids = {"event_id": out.id}
    steps = {
        "accepted": [("zhs", Action.accept, {})],
        "assigned": [("zhs", Action.accept, {}),
                     ("zhs", Action.assign, {"lead_unit": f"{T}-zhifa"})],
        "escalated": [("zhs", Action.accept, {}),
                      ("zhs", Action.escalate, {"reason": "需县级协调"})],
    }  # fmt: skip
    steps["acknowledged"] = steps["assigned"] + [("zhifa", Action.acknowledge, {})]
    steps["in_progress"] = steps["acknowledged"] + [("zhifa", Action.start, {})]
    steps["handled"] = steps["in_progress"] + [("zhifa", Action.feedback, {"text": "已处理"})]
    steps["closed"] = steps["handled"] + [("zhs", Action.verify, {"passed": True})]
    steps["extension"] = steps["in_progress"] + [
        ("zhifa", Action.request_extension, {"extra": "1wd", "reason": "需要时间"})
    ]
    steps["order"] = steps["assigned"] + [
        ("zhs", Action.supervise, {"level": "yellow", "message": "请尽快"})
    ]
    event = None
    for who, action, body in steps.get(state, []):
        version = event.version if event else out.version
        event = perform(
            session=session, event_id=out.id, action=action, actor=actor[who],
            body=ACTIONS[action].body(version=version, **body),
        )  # fmt: skip
    if state == "extension":
        ids["request_id"] = session.scalar(
            select(ExtensionRequest.id).where(ExtensionRequest.event_id == out.id)
        )
    if state == "order":
        ids["supervision_id"] = session.scalar(
            select(Supervision.id).where(Supervision.event_id == out.id)
        )
    ids["version"] = event.version if event else out.version
    session.flush()
    return ids


def _patrol(session) -> dict:
    """A new patrol of wgy's."""
    wgy = actor_for(session, _user(session, "wgy").id)
    patrol, _ = start_patrol(
        session=session, actor=wgy, data=PatrolStart(external_id=f"mx-{uuid.uuid4()}")
    )
    return {"patrol_id": patrol.id}


def _evaluation(session, state: str) -> dict:
    """A new assessment of T's grids (a draft, or published), or a declared emergency of T."""
    from datetime import datetime

    from api.assessments.models import Assessment, AssessmentRow, AssessmentState
    from api.assessments.service import current_scheme
    from api.indicators.definitions import INDICATORS
    from api.mode.models import ModeChange

    now = clock.now()
    if state == "emergency":  # declared and ended, earlier than the ones before it
        before = session.scalar(select(func.count()).select_from(ModeChange))
        declared = now - timedelta(hours=3 * (before + 1))
        change = ModeChange(township_code=T, mode="emergency", level="IV", reason="演练",
                            village_codes=[], at=declared)  # fmt: skip
        session.add(change)
        session.add(ModeChange(township_code=T, mode="peacetime", reason="演练结束",
                               village_codes=[], at=declared + timedelta(hours=1)))  # fmt: skip
        session.flush()
        return {"change_id": change.id}
    scheme = current_scheme(session, "default", now)
    start = datetime(2025, 10, 1, tzinfo=clock.zone())
    assessment = Assessment(
        scheme_id=scheme.id, scheme=scheme.body, level="grid", township_code=T,
        scope_name="测试镇", period="2025-10", period_start=start,
        period_end=datetime(2025, 11, 1, tzinfo=clock.zone()), as_of=now,
        state=AssessmentState(state), created_at=now, created_by="mx-zhs", computed_at=now,
    )  # fmt: skip
    session.add(assessment)
    session.flush()
    figures = {i.key: {"value": 0.0, "numerator": 0, "denominator": 0} for i in INDICATORS}
    parts = {k: 100.0 for k in scheme.body["levels"]["grid"]["weights"]} | {"adjustments": []}
    session.add(
        AssessmentRow(assessment_id=assessment.id, subject_code=f"{T}001001",
                      subject_name="测试村第1网格", figures=figures, parts=parts,
                      score=100.0, grade="A", rank=1)
    )  # fmt: skip
    session.flush()
    return {"assessment_id": assessment.id}


def _call(client, session, method: str, path: str, cell: Cell, caller: str):
    params = dict(cell.params)
    body = dict(cell.body) if cell.body is not None else None
    if cell.state == "patrol":
        params |= _patrol(session)
    elif cell.state in ("draft", "published", "emergency"):
        params |= _evaluation(session, cell.state)
    elif cell.state is not None:
        state = "reported" if cell.state == "photo" else cell.state
        ids = _event(session, state)
        if cell.state == "photo":
            admin = actor_for(session, _user(session, "admin").id)
            photo = store(session=session, actor=admin, event_id=ids["event_id"], data=PNG,
                          kind="before", original_name="p.png",
                          media_dir=get_settings().media_dir, max_bytes=10**7)  # fmt: skip
            ids["attachment_id"] = photo.id
        if cell.event_param != "event_id":
            ids[cell.event_param] = ids.pop("event_id")
        params |= ids
        if body is not None and "/actions/" in path:
            body["version"] = ids["version"]
            for key in ("request_id", "supervision_id"):
                if key in ids:
                    body[key] = ids[key]
    url = path.format(**params)
    query = {k: v for k, v in params.items() if "{" + k + "}" not in path and k != "version"}
    query = {k: v for k, v in query.items() if k not in ("request_id", "supervision_id")}
    token = _token(session, caller)
    client.cookies.clear()
    headers = {}
    if token and cell.page:
        client.cookies.set("shuxin_token", token)
    elif token:
        headers["Authorization"] = f"Bearer {token}"
    kwargs: dict = {"params": query, "headers": headers, "follow_redirects": False}
    if path.endswith("/attachments") and method == "POST":
        kwargs["files"] = {"file": ("p.png", PNG, "image/png")}
    elif body is not None and (cell.page or cell.form):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    return client.request(method, url, **kwargs)


def _expected(cell: Cell, caller: str) -> int:
    if caller in SIGNED_OUT:
        return 303 if cell.page else 401
    if caller == "must_change" and not cell.signed_in_only:
        return 303 if cell.page else 403
    if caller == "must_change":
        return cell.expect["zhs"]
    return cell.expect[caller]


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX), ids=lambda v: str(v))
def test_every_caller_gets_the_status_of_its_cell(app_client, world, media_dir, method, path):
    cell = MATRIX[(method, path)]
    got = {}
    for caller in CALLERS:
        answer = _call(app_client, world, method, path, cell, caller)
        got[caller] = answer.status_code
    assert got == {caller: _expected(cell, caller) for caller in CALLERS}


@pytest.fixture
def media_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SHUXIN_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
