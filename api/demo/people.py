"""Demo units and users: every township's units from the boundaries, and people per role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.units.models import Unit, UnitKind
from api.units.service import sync_units
from api.users.models import Role, User
from api.users.security import hash_password
from api.users.service import Actor, actor_for

DEMO_PASSWORD = "Shuxin2026!"
COUNTY_CODE, COUNTY_NAME = "330825", "龙游县"
MAIN_TOWNSHIP = "330825001"  # 龙洲街道: the demo's main township, with one user per role


@dataclass(frozen=True)
class DemoLogin:
    login: str
    role: str
    unit: str
    what: str


def ensure_units(*, session: Session, set_id: int) -> int:
    """The county's units from the demo set; the number created."""
    return sync_units(
        session=session, set_id=set_id, county_code=COUNTY_CODE, county_name=COUNTY_NAME
    ).created


def ensure_users(*, session: Session) -> list[DemoLogin]:
    """A user per role for the main township, a commander for every township, and a handler
    for every platform and department unit (all with the demo password)."""
    units = {u.code: u for u in session.scalars(select(Unit))}
    first_grid = session.scalar(
        select(Unit.code)
        .where(Unit.kind == UnitKind.grid, Unit.township_code == MAIN_TOWNSHIP)
        .order_by(Unit.code)
    )
    main = [
        ("admin", Role.admin, None, "系统管理员：可做一切"),
        (
            "zhs",
            Role.commander,
            f"{MAIN_TOWNSHIP}-ZHS",
            "龙洲街道指挥室：受理、交办、核查、督办、上报",
        ),
        (
            "zhifa",
            Role.handler,
            f"{MAIN_TOWNSHIP}-zhifa",
            "监管执法平台：签收、处置、反馈、退回、延期",
        ),
        ("pcs", Role.handler, f"{MAIN_TOWNSHIP}-PCS", "派出所：协办、处置"),
        ("wgy", Role.grid_worker, first_grid, "网格员：上报、处置本网格事件、核查本人上报"),
        ("county", Role.county, f"{COUNTY_CODE}-ZX", "县社会治理中心：接收上报、退回或办结"),
        ("viewer", Role.viewer, f"{MAIN_TOWNSHIP}-ZHS", "只读"),
    ]
    wanted: list[tuple[str, Role, str | None, str]] = list(main)
    for code, unit in units.items():
        if unit.kind == UnitKind.command_room and unit.township_code != MAIN_TOWNSHIP:
            wanted.append((f"zhs_{unit.township_code}", Role.commander, code, ""))
        elif unit.kind in (UnitKind.platform, UnitKind.department):
            wanted.append((f"h_{code}", Role.handler, code, ""))
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: the demo password is shared
    rows = [
        dict(
            login=login,
            display_name=_display_name(login, units.get(unit_code or "")),
            password_hash=password_hash,
            role=role.value,
            unit_id=units[unit_code].id if unit_code else None,
        )
        for login, role, unit_code, _ in wanted
    ]
    for start in range(0, len(rows), 500):
        session.execute(
            insert(User)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=[User.login])
        )
    session.flush()
    return [DemoLogin(login, role.value, unit or "", what) for login, role, unit, what in main]


def _display_name(login: str, unit: Unit | None) -> str:
    names = {
        "admin": "系统管理员",
        "zhs": "张指挥",
        "zhifa": "李执法",
        "pcs": "王警官",
        "wgy": "赵网格",
        "county": "县中心值班员",
        "viewer": "观察员",
    }
    if login in names:
        return names[login]
    return f"{unit.name}值班员" if unit else login


def actors_by_unit(session: Session) -> dict[str, Actor]:
    """An actor for each unit that has a user (the first user of the unit), by unit code."""
    out: dict[str, Actor] = {}
    rows = session.execute(
        select(User.id, Unit.code)
        .join(Unit, Unit.id == User.unit_id)
        .where(User.role != Role.viewer)
        .order_by(User.id)
    )
    for user_id, unit_code in rows:
        if unit_code not in out:
            actor = actor_for(session, user_id)
            if actor is not None:
                out[unit_code] = actor
    return out


def admin_actor(session: Session) -> Actor:
    user_id = session.scalar(select(User.id).where(User.login == "admin"))
    actor = actor_for(session, user_id) if user_id else None
    assert actor is not None, "the demo admin is missing"
    return actor
