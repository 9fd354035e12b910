"""Units: finding them, the default unit for an event, and making them from the boundaries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from api.categories.models import Platform
from api.errors import InvalidInput, NotFound
from api.units.models import Unit, UnitKind
from api.units.schemas import UnitOut
from gis.levels import AreaLevel
from gis.models import Area, BoundarySet

# Departments stationed in every township (DOMAIN.md section 3), with their platform.
DEPARTMENTS = (
    ("PCS", "派出所", "zongzhi"),
    ("SJS", "市场监管所", "zhifa"),
    ("ZFZD", "综合行政执法中队", "zhifa"),
    ("YJZ", "应急管理站", "yingji"),
    ("ZRZY", "自然资源所", "yingji"),
)


class UnitNotFound(NotFound):
    code = "unit_not_found"


def unit_by_code(session: Session, code: str, field: str = "unit") -> Unit:
    """The unit with this code, or UnitNotFound."""
    unit = session.scalar(select(Unit).where(Unit.code == code, Unit.active))
    if unit is None:
        raise UnitNotFound(f"there is no unit {code!r}; GET /api/v1/units lists them", field=field)
    return unit


def list_units(
    *, session: Session, kind: UnitKind | None = None, township: str | None = None
) -> list[UnitOut]:
    """Active units, by kind then code."""
    parent = aliased(Unit)
    query = (
        select(Unit, parent.code)
        .outerjoin(parent, parent.id == Unit.parent_id)
        .where(Unit.active)
        .order_by(Unit.kind, Unit.code)
    )
    if kind:
        query = query.where(Unit.kind == kind)
    if township:
        query = query.where(Unit.township_code == township)
    return [
        UnitOut(
            code=u.code,
            name=u.name,
            kind=u.kind,
            parent_code=parent_code,
            township_code=u.township_code,
            platform_code=u.platform_code,
            area_codes=list(u.area_codes or []),
        )
        for u, parent_code in session.execute(query)
    ]


def default_unit(
    *, session: Session, township_code: str | None, grid_code: str | None, platform_code: str | None
) -> Unit | None:
    """Who handles an event by default: the platform of the category in the event's township;
    else the unit of its grid; None if neither exists (the command room chooses)."""
    if township_code and platform_code:
        unit = session.scalar(
            select(Unit).where(
                Unit.kind == UnitKind.platform,
                Unit.township_code == township_code,
                Unit.platform_code == platform_code,
                Unit.active,
            )
        )
        if unit is not None:
            return unit
    if grid_code:
        return session.scalar(
            select(Unit).where(Unit.kind == UnitKind.grid, Unit.code == grid_code, Unit.active)
        )
    return None


@dataclass(frozen=True)
class SyncResult:
    created: int
    total: int


def sync_units(
    *,
    session: Session,
    set_id: int,
    county_code: str | None = None,
    county_name: str | None = None,
) -> SyncResult:
    """Make the units of a county from a boundary set: the county centre; per township its
    command room, platforms and stationed departments; a unit per village and per grid.
    Existing units (by code) are kept as they are. The county is the place the set covers
    unless given."""
    boundary_set = session.get(BoundarySet, set_id)
    county_code = county_code or boundary_set.place_code
    county_name = county_name or boundary_set.place_name
    if not county_code or not county_name:
        raise InvalidInput(
            f"boundary set {boundary_set.name!r} does not say which county it covers: give "
            "--county-code and --county-name (or import it with --place-code and --place-name)",
            field="county_code" if not county_code else "county_name",
        )
    areas = {
        level: list(
            session.execute(
                select(Area.code, Area.name, Area.parent_code)
                .where(Area.set_id == set_id, Area.level == level)
                .order_by(Area.code)
            )
        )
        for level in (AreaLevel.township, AreaLevel.village, AreaLevel.grid)
    }
    platforms = list(
        session.execute(select(Platform.code, Platform.name).order_by(Platform.sort_order))
    )
    village_township = {code: parent for code, _, parent in areas[AreaLevel.village]}
    rows: list[dict] = [
        dict(
            code=f"{county_code}-ZX",
            name=f"{county_name}社会治理中心",
            kind=UnitKind.county_center,
            township_code=None,
            platform_code=None,
            area_codes=[county_code],
            parent=None,
        )
    ]
    for code, name, _ in areas[AreaLevel.township]:
        room = f"{code}-ZHS"
        rows.append(
            dict(
                code=room,
                name=f"{name}综合信息指挥室",
                kind=UnitKind.command_room,
                township_code=code,
                platform_code=None,
                area_codes=[code],
                parent=f"{county_code}-ZX",
            )
        )
        for platform_code, platform_name in platforms:
            rows.append(
                dict(
                    code=f"{code}-{platform_code}",
                    name=f"{name}{platform_name}平台",
                    kind=UnitKind.platform,
                    township_code=code,
                    platform_code=platform_code,
                    area_codes=[code],
                    parent=room,
                )
            )
        for suffix, dept_name, platform_code in DEPARTMENTS:
            rows.append(
                dict(
                    code=f"{code}-{suffix}",
                    name=f"{name}{dept_name}",
                    kind=UnitKind.department,
                    township_code=code,
                    platform_code=platform_code,
                    area_codes=[code],
                    parent=room,
                )
            )
    for code, name, parent in areas[AreaLevel.village]:
        rows.append(
            dict(
                code=code,
                name=f"{name}委员会" if not name.endswith("委员会") else name,
                kind=UnitKind.village,
                township_code=parent,
                platform_code=None,
                area_codes=[code],
                parent=f"{parent}-ZHS" if parent else None,
            )
        )
    for code, name, parent in areas[AreaLevel.grid]:
        rows.append(
            dict(
                code=code,
                name=name,
                kind=UnitKind.grid,
                township_code=village_township.get(parent),
                platform_code=None,
                area_codes=[code],
                parent=parent,
            )
        )
    created = 0
    ids: dict[str, int] = dict(session.execute(select(Unit.code, Unit.id)).all())
    for row in rows:  # parents come before their children in `rows`
        parent_code = row.pop("parent")
        statement = (
            insert(Unit)
            .values(
                **{**row, "kind": row["kind"].value},
                parent_id=ids.get(parent_code) if parent_code else None,
            )
            .on_conflict_do_nothing(index_elements=[Unit.code])
            .returning(Unit.id)
        )
        new_id = session.scalar(statement)
        if new_id is not None:
            ids[row["code"]] = new_id
            created += 1
    session.flush()
    return SyncResult(created, len(rows))
