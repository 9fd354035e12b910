"""Patrols (巡查): start, record positions, end; today's tracks; the figures the indicators use.

A patrol is started, fed and ended from the phone, often after a stretch without a signal:
- the start is stored once per (person, external_id), the phone's own id of the patrol;
- each position once per (patrol, seq), the phone's number of the sample, so a batch sent again
  changes nothing; positions may arrive after the end (sent late), they still count;
- after each batch the patrol is recomputed from all its positions: its track is the line
  through the trusted ones (GPS accuracy within `max_accuracy_m`) in time order, its distance
  that line's length on the ellipsoid (metres), its grids every grid a trusted position fell in
  (routed by the in-memory router of the active set), its grid the patroller's own grid (a grid
  worker's) or else the one most of its trusted positions fell in.

Who sees a patrol follows the events' one scope (api/events/visibility.py: `scope_of`): the
county and administrators every patrol, a township's command room (and its viewers) the patrols
of its township, everyone else their own and those of the grids their unit covers.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, false, func, or_, select, text, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from api import clock
from api.errors import InvalidInput, NotFound
from api.events.policy import require_patrol
from api.events.visibility import scope_of
from api.patrols.models import Patrol, PatrolPoint, PatrolState
from api.patrols.schemas import PatrolOut, PatrolPointIn, PatrolStart
from api.routing.service import current_router
from api.units.models import Unit, UnitKind
from api.users.models import User
from api.users.service import Actor
from gis.models import STORAGE_SRID

CLOCK_SKEW = timedelta(minutes=10)
"""How far ahead of the server a phone's clock may be before its times are refused."""


class PatrolNotFound(NotFound):
    code = "patrol_not_found"


def visible_patrols(actor: Actor) -> ColumnElement[bool]:
    """The patrols `actor` may see, as a SQL WHERE clause (the events' scope, for patrols)."""
    scope = scope_of(actor)
    if scope.everything:
        return true()
    terms: list[ColumnElement[bool]] = [Patrol.user_id == actor.id]
    if scope.township:
        terms.append(Patrol.township_code == scope.township)
    if scope.areas:
        terms.append(Patrol.grid_code.in_(scope.areas))
    return or_(*terms) if terms else false()


def _own_grid(actor: Actor) -> str | None:
    """A grid worker's (or a grid unit's) own grid: the grid their patrols belong to."""
    if actor.unit_kind is UnitKind.grid and actor.area_codes:
        return actor.area_codes[0]
    return None


def _check_time(moment: datetime, field_name: str) -> None:
    if moment > clock.now() + CLOCK_SKEW:
        raise InvalidInput(
            f"{field_name} {moment.isoformat()} is in the future; is the phone's clock right?",
            field=field_name,
        )


def start_patrol(*, session: Session, actor: Actor, data: PatrolStart) -> tuple[Patrol, bool]:
    """Start a patrol (patrol, created); the same external_id again answers the stored one.
    Another patrol of the same person still running is ended first, at its last position."""
    require_patrol(actor)
    started = data.started_at or clock.now()
    _check_time(started, "started_at")
    row = session.execute(
        pg_insert(Patrol)
        .values(
            user_id=actor.id,
            unit_id=actor.unit_id,
            external_id=data.external_id,
            state=PatrolState.active,
            started_at=started,
            township_code=actor.township_code,
            grid_code=_own_grid(actor),
            grid_codes=[],
            point_count=0,
            distance_m=0.0,
            updated_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=[Patrol.user_id, Patrol.external_id])
        .returning(Patrol.id)
    ).first()
    if row is None:
        existing = session.scalar(
            select(Patrol).where(Patrol.user_id == actor.id, Patrol.external_id == data.external_id)
        )
        assert existing is not None, "ON CONFLICT without a stored patrol"
        return existing, False
    for other in session.scalars(
        select(Patrol).where(
            Patrol.user_id == actor.id, Patrol.state == PatrolState.active, Patrol.id != row.id
        )
    ):
        last = session.scalar(
            select(func.max(PatrolPoint.at)).where(PatrolPoint.patrol_id == other.id)
        )
        other.state, other.ended_at = PatrolState.ended, min(last or other.started_at, started)
        other.updated_at = clock.now()
    session.flush()
    return session.get(Patrol, row.id), True


def _own_patrol(session: Session, actor: Actor, patrol_id: int, *, lock: bool = False) -> Patrol:
    """The actor's own patrol (positions and the end come only from the patroller)."""
    require_patrol(actor)
    query = select(Patrol).where(Patrol.id == patrol_id, Patrol.user_id == actor.id)
    patrol = session.scalar(query.with_for_update() if lock else query)
    if patrol is None:
        raise PatrolNotFound(f"you have no patrol {patrol_id}", field="patrol_id")
    return patrol


_RECOMPUTE = text(f"""
WITH pts AS (
    SELECT location, grid_code, at, seq, accuracy_m FROM patrol_point WHERE patrol_id = :id
), trusted AS (
    SELECT * FROM pts WHERE accuracy_m IS NULL OR accuracy_m <= :max_accuracy
), line AS (
    SELECT CASE WHEN count(*) >= 2
                THEN ST_SetSRID(ST_MakeLine(location ORDER BY at, seq), {STORAGE_SRID}) END
           AS track
    FROM trusted
), grids AS (
    SELECT coalesce(array_agg(DISTINCT grid_code) FILTER (WHERE grid_code IS NOT NULL),
                    '{{}}') AS codes
    FROM trusted
)
UPDATE patrol SET
    track = line.track,
    distance_m = coalesce(ST_Length(line.track::geography), 0),
    point_count = (SELECT count(*) FROM pts),
    grid_codes = grids.codes,
    updated_at = :now
FROM line, grids
WHERE patrol.id = :id
""")


def add_points(
    *,
    session: Session,
    actor: Actor,
    patrol_id: int,
    points: list[PatrolPointIn],
    max_accuracy_m: float,
) -> Patrol:
    """Store a batch of positions of the actor's patrol (each seq once) and recompute its track,
    distance and grids."""
    patrol = _own_patrol(session, actor, patrol_id, lock=True)
    for point in points:
        _check_time(point.at, "points.at")
    router = current_router(session)
    records = {}
    rows = []
    indexes = (
        router.route_many([p.lon for p in points], [p.lat for p in points]).grid_index
        if router is not None
        else [-1] * len(points)
    )
    for point, index in zip(points, indexes, strict=True):
        grid = router.grids[int(index)] if index >= 0 else None
        if grid is not None:
            records[grid.code] = grid
        rows.append(
            dict(
                patrol_id=patrol.id,
                seq=point.seq,
                at=point.at,
                location=f"SRID={STORAGE_SRID};POINT({point.lon} {point.lat})",
                accuracy_m=point.accuracy_m,
                grid_code=grid.code if grid else None,
            )
        )
    session.execute(
        pg_insert(PatrolPoint)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[PatrolPoint.patrol_id, PatrolPoint.seq])
    )
    session.execute(
        _RECOMPUTE, {"id": patrol.id, "max_accuracy": max_accuracy_m, "now": clock.now()}
    )
    session.refresh(patrol)
    if patrol.grid_code is None or patrol.township_code is None:
        _place(session, patrol, max_accuracy_m, records)
    return patrol


def _place(session: Session, patrol: Patrol, max_accuracy_m: float, records: dict) -> None:
    """A patrol of someone without a grid (or township) of their own belongs to the grid most of
    its trusted positions fell in, and to that grid's township."""
    codes = session.scalars(
        select(PatrolPoint.grid_code).where(
            PatrolPoint.patrol_id == patrol.id,
            PatrolPoint.grid_code.is_not(None),
            or_(PatrolPoint.accuracy_m.is_(None), PatrolPoint.accuracy_m <= max_accuracy_m),
        )
    ).all()
    if not codes:
        return
    top = Counter(codes).most_common(1)[0][0]
    if patrol.grid_code is None:
        patrol.grid_code = top
    if patrol.township_code is None:
        record = records.get(patrol.grid_code)
        if record is None:
            router = current_router(session)
            record = next((g for g in router.grids if g.code == patrol.grid_code), None)
        patrol.township_code = record.township_code if record else None
    session.flush()


def end_patrol(
    *, session: Session, actor: Actor, patrol_id: int, ended_at: datetime | None
) -> Patrol:
    """End the actor's patrol; ending it again answers it unchanged (a retried end)."""
    patrol = _own_patrol(session, actor, patrol_id, lock=True)
    if patrol.state is PatrolState.ended:
        return patrol
    ended = ended_at or clock.now()
    _check_time(ended, "ended_at")
    if ended < patrol.started_at:
        raise InvalidInput(
            f"ended_at {ended.isoformat()} is before the patrol started "
            f"({patrol.started_at.isoformat()})",
            field="ended_at",
        )
    patrol.state, patrol.ended_at, patrol.updated_at = PatrolState.ended, ended, clock.now()
    session.flush()
    return patrol


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight of `day` in the one time zone."""
    start = datetime.combine(day, time.min, clock.zone())
    return start, datetime.combine(day + timedelta(days=1), time.min, clock.zone())


def list_patrols(*, session: Session, actor: Actor, day: date) -> list[Patrol]:
    """The patrols `actor` may see that started on `day` (or still run from before), oldest
    first."""
    start, end = day_bounds(day)
    running = (Patrol.state == PatrolState.active) & (Patrol.started_at < end)
    query = (
        select(Patrol)
        .where(
            visible_patrols(actor),
            or_((Patrol.started_at >= start) & (Patrol.started_at < end), running),
        )
        .order_by(Patrol.started_at, Patrol.id)
    )
    return list(session.scalars(query))


def to_out(session: Session, patrols: list[Patrol], *, with_track: bool = True) -> list[PatrolOut]:
    """Patrols as API answers: who, their unit, and the track's vertices."""
    if not patrols:
        return []
    ids = [p.id for p in patrols]
    names = dict(
        session.execute(
            select(User.id, User.display_name).where(User.id.in_({p.user_id for p in patrols}))
        ).all()
    )
    unit_ids = {p.unit_id for p in patrols if p.unit_id}
    units = (
        dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all())
        if unit_ids
        else {}
    )
    tracks: dict[int, list] = {}
    if with_track:
        rows = session.execute(
            select(Patrol.id, func.ST_AsGeoJSON(Patrol.track, 6)).where(
                Patrol.id.in_(ids), Patrol.track.is_not(None)
            )
        )
        tracks = {pid: json.loads(geometry)["coordinates"] for pid, geometry in rows}
    return [
        PatrolOut(
            id=p.id,
            external_id=p.external_id,
            state=p.state,
            user_name=names.get(p.user_id, ""),
            unit_name=units.get(p.unit_id),
            started_at=p.started_at,
            ended_at=p.ended_at,
            township_code=p.township_code,
            grid_code=p.grid_code,
            grid_codes=sorted(p.grid_codes or []),
            point_count=p.point_count,
            distance_m=round(p.distance_m or 0.0, 1),
            track=[tuple(c) for c in tracks[p.id]] if p.id in tracks else None,
        )
        for p in patrols
    ]


def to_feature_collection(patrols: list[PatrolOut]) -> dict:
    """Patrols with a track as GeoJSON LineStrings (WGS84); the rest have no geometry."""
    features = [
        {
            "type": "Feature",
            "id": p.id,
            "geometry": {"type": "LineString", "coordinates": p.track} if p.track else None,
            "properties": p.model_dump(mode="json", exclude={"track"}),
        }
        for p in patrols
    ]
    return {"type": "FeatureCollection", "features": features}


# --- figures for the indicators (巡查) ----------------------------------------------------------


@dataclass(frozen=True)
class GridPatrols:
    """The patrols of one grid in a period."""

    grid_code: str
    patrols: int = 0  # patrols whose grid it is
    distance_m: float = 0.0  # their distance
    visits: int = 0  # patrols (of anyone) with a trusted position in it


@dataclass(frozen=True)
class PatrolFigures:
    """Patrol counts, distance and grid coverage of a period (one township, or all)."""

    start: datetime
    end: datetime
    township_code: str | None
    patrols: int
    patrollers: int
    distance_m: float
    grids: int  # grids of the active set in scope
    grids_covered: int  # of those, grids with at least one visit
    by_grid: dict[str, GridPatrols] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        """Share of the grids in scope that a patrol passed through (0 when there are none)."""
        return self.grids_covered / self.grids if self.grids else 0.0


def patrol_figures(
    *, session: Session, start: datetime, end: datetime, township_code: str | None = None
) -> PatrolFigures:
    """Patrols started in [start, end), of one township or of all: how many, by how many
    people, how far, and which of the active set's grids they covered (for the indicators)."""
    if end <= start:
        raise ValueError(f"end must be after start, got {start} .. {end}")
    query = select(Patrol.user_id, Patrol.grid_code, Patrol.grid_codes, Patrol.distance_m).where(
        Patrol.started_at >= start, Patrol.started_at < end
    )
    if township_code:
        query = query.where(Patrol.township_code == township_code)
    rows = session.execute(query).all()
    router = current_router(session)
    in_scope = {
        g.code
        for g in (router.grids if router else ())
        if township_code is None or g.township_code == township_code
    }
    own: Counter[str] = Counter()
    distance: Counter[str] = Counter()
    visits: Counter[str] = Counter()
    for _user, grid, grids, metres in rows:
        if grid:
            own[grid] += 1
            distance[grid] += metres or 0.0
        for code in set(grids or ()):
            visits[code] += 1
    codes = sorted(set(own) | set(visits) | in_scope)
    return PatrolFigures(
        start=start,
        end=end,
        township_code=township_code,
        patrols=len(rows),
        patrollers=len({r[0] for r in rows}),
        distance_m=round(sum((r[3] or 0.0) for r in rows), 1),
        grids=len(in_scope),
        grids_covered=len(in_scope & set(visits)),
        by_grid={c: GridPatrols(c, own[c], round(distance[c], 1), visits[c]) for c in codes},
    )
