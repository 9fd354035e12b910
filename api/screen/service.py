"""The command screen's data: figures, charts, lists, the clustered map, spatial and text search.

Everything is answered from the in-memory event index (api.screen.index) with the same filters,
so the map, the panels and the lists always agree; details (titles, names) come from PostGIS for
the few events a list shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import numpy as np
import shapely
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from api import clock
from api.categories.models import Category, Platform
from api.errors import InvalidInput
from api.events.models import Event
from api.events.policy import require_screen
from api.events.visibility import task_event_ids, visible_clause, visible_mask
from api.screen.index import OPEN_STATUSES, STATUSES, Columns, EventIndex
from api.supervision.models import Supervision, SupervisionState
from api.units.models import Unit
from api.users.service import Actor
from gis.boundaries import active_set
from gis.cluster import cluster
from gis.models import Area

POINTS_LIMIT = 400  # above this many events in view, the map shows clusters
POINTS_ZOOM = 16  # from this zoom on, single events whatever their number
RANGES = ("today", "7d", "30d", "all")
_STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}


@dataclass(frozen=True)
class ScreenFilters:
    """What the officer chose on the screen; the URL carries the same names."""

    range: str = "30d"
    date_from: datetime | None = None
    date_to: datetime | None = None
    statuses: tuple[str, ...] = ()
    category: str | None = None
    platform: str | None = None
    area: str | None = None

    def window(self, now: datetime) -> tuple[int, int]:
        """(from, to) in epoch seconds of the reporting time."""
        if self.date_from or self.date_to:
            start = self.date_from or datetime(2000, 1, 1, tzinfo=clock.zone())
            end = self.date_to or now + timedelta(days=1)
            return int(start.timestamp()), int(end.timestamp())
        today = datetime.combine(clock.local(now).date(), time.min, clock.zone())
        days = {"today": 0, "7d": 6, "30d": 29}
        if self.range == "all":
            return 0, np.iinfo("int64").max
        return int((today - timedelta(days=days[self.range])).timestamp()), np.iinfo("int64").max


def check_filters(filters: ScreenFilters) -> None:
    if filters.range not in RANGES:
        raise InvalidInput(
            f"range must be one of {', '.join(RANGES)}; got {filters.range!r}", field="range"
        )
    unknown = [
        s
        for s in filters.statuses
        if s not in _STATUS_CODE and s not in ("at_risk", "overdue", "open")
    ]
    if unknown:
        raise InvalidInput(
            f"unknown status {unknown[0]!r}; use {', '.join(STATUSES)}, open, at_risk or overdue",
            field="status",
        )


# --- selecting rows --------------------------------------------------------------------------


@dataclass
class Selection:
    """The rows a request is about, and what it needs to explain them."""

    columns: Columns
    mask: np.ndarray
    platform_of: np.ndarray  # per category index: platform index (-1 none)
    platforms: list[str]
    major_of: np.ndarray  # per category index: index into `majors`
    majors: list[str]


def select_rows(
    *,
    session: Session,
    index: EventIndex,
    actor: Actor,
    filters: ScreenFilters,
    now: datetime,
    with_time: bool = True,
) -> Selection:
    """The index rows the actor may see that match the filters (time range optional)."""
    require_screen(actor)
    check_filters(filters)
    rows = index.rows(session)
    columns = rows.columns
    n = len(columns)
    mask = np.isfinite(columns.lon)
    mask &= visible_mask(actor, rows, lambda unit: task_event_ids(session, unit))
    if with_time:
        start, end = filters.window(now)
        mask &= (columns.created >= start) & (columns.created < end)
    if filters.statuses:
        wanted = np.zeros(n, dtype=bool)
        codes = [_STATUS_CODE[s] for s in filters.statuses if s in _STATUS_CODE]
        if codes:
            wanted |= np.isin(columns.status, codes)
        open_rows = np.isin(columns.status, [_STATUS_CODE[s] for s in OPEN_STATUSES])
        if "open" in filters.statuses:
            wanted |= open_rows
        if "overdue" in filters.statuses:
            wanted |= columns.overdue & open_rows
        if "at_risk" in filters.statuses:
            wanted |= columns.at_risk & ~columns.overdue & open_rows
        mask &= wanted
    categories = index.categories.values
    catalog = dict(session.execute(select(Category.code, Category.platform_code)).all())
    platforms = [p for (p,) in session.execute(select(Platform.code).order_by(Platform.sort_order))]
    platform_of = np.array(
        [platforms.index(catalog[c]) if catalog.get(c) in platforms else -1 for c in categories]
        or [-1],
        dtype="int16",
    )
    majors = sorted({c[:2] for c in categories})
    major_of = np.array([majors.index(c[:2]) for c in categories] or [0], dtype="int16")
    if filters.category:
        matching = [i for i, c in enumerate(categories) if c.startswith(filters.category)]
        mask &= np.isin(columns.category, matching)
    if filters.platform:
        if filters.platform not in platforms:
            raise InvalidInput(
                f"platform must be one of {', '.join(platforms)}; got {filters.platform!r}",
                field="platform",
            )
        mask &= platform_of[columns.category] == platforms.index(filters.platform)
    if filters.area:
        code = index.areas.find(filters.area)
        mask &= (columns.township == code) | (columns.village == code) | (columns.grid == code)
    return Selection(columns, mask, platform_of, platforms, major_of, majors)


# --- figures and charts ----------------------------------------------------------------------


def summary(
    *, session: Session, index: EventIndex, actor: Actor, filters: ScreenFilters, now: datetime
) -> dict:
    """Today's figures, counts by status, category and platform, and the 30-day trend."""
    scope = select_rows(
        session=session, index=index, actor=actor, filters=filters, now=now, with_time=False
    )
    c, base = scope.columns, scope.mask
    start, end = filters.window(now)
    in_range = base & (c.created >= start) & (c.created < end)
    today = int(datetime.combine(clock.local(now).date(), time.min, clock.zone()).timestamp())
    open_rows = np.isin(c.status, [_STATUS_CODE[s] for s in OPEN_STATUSES])
    figures = {
        "received": int((base & (c.created >= today)).sum()),
        "assigned": int((base & (c.assigned >= today) & (c.assigned < _NEVER)).sum()),
        "handled": int((base & (c.handled >= today) & (c.handled < _NEVER)).sum()),
        "closed": int(
            (
                base
                & (c.closed >= today)
                & (c.closed < _NEVER)
                & (c.status == _STATUS_CODE["closed"])
            ).sum()
        ),
        "overdue": int((base & c.overdue & open_rows).sum()),
        "at_risk": int((base & c.at_risk & ~c.overdue & open_rows).sum()),
        "escalated": int((base & (c.status == _STATUS_CODE["escalated"])).sum()),
        "supervision_open": _open_orders(session, actor, filters),
    }
    by_status = np.bincount(c.status[in_range], minlength=len(STATUSES))
    names = dict(
        session.execute(
            select(Category.code, Category.name).where(func.length(Category.code) == 2)
        ).all()
    )
    majors = np.bincount(scope.major_of[c.category[in_range]], minlength=len(scope.majors))
    platform_names = dict(session.execute(select(Platform.code, Platform.name)).all())
    platform_idx = scope.platform_of[c.category[in_range]]
    by_platform = np.bincount(platform_idx[platform_idx >= 0], minlength=len(scope.platforms))
    day0 = today - 29 * 86400
    trend_rows = base & (c.created >= day0)
    received = np.bincount((c.created[trend_rows] - day0) // 86400, minlength=30)[:30]
    closed_rows = base & (c.closed >= day0) & (c.closed < _NEVER)
    closed = np.bincount((c.closed[closed_rows] - day0) // 86400, minlength=30)[:30]
    days = [
        (datetime.fromtimestamp(day0, clock.zone()) + timedelta(days=i)).strftime("%m-%d")
        for i in range(30)
    ]
    return {
        "as_of": now.isoformat(),
        "total": int(in_range.sum()),
        "today": figures,
        "by_status": {s: int(by_status[i]) for i, s in enumerate(STATUSES) if by_status[i]},
        "by_category": sorted(
            (
                {"code": m, "name": names.get(m, m), "count": int(majors[i])}
                for i, m in enumerate(scope.majors)
                if majors[i]
            ),
            key=lambda x: -x["count"],
        ),
        "by_platform": [
            {"code": p, "name": platform_names.get(p, p), "count": int(by_platform[i])}
            for i, p in enumerate(scope.platforms)
        ],
        "trend": {"days": days, "received": received.tolist(), "closed": closed.tolist()},
    }


_NEVER = np.iinfo("int64").max


def _open_orders(session: Session, actor: Actor, filters: ScreenFilters) -> int:
    query = (
        select(func.count())
        .select_from(Supervision)
        .join(Event, Event.id == Supervision.event_id)
        .where(Supervision.state == SupervisionState.open)
    )
    query = _scope_events(query, actor, filters)
    return session.scalar(query) or 0


def _scope_events(query, actor: Actor, filters: ScreenFilters):
    query = query.where(visible_clause(actor))
    if filters.area:
        query = query.where(
            or_(
                Event.township_code == filters.area,
                Event.village_code == filters.area,
                Event.grid_code == filters.area,
            )
        )
    if filters.category:
        query = query.where(Event.category_code.like(f"{filters.category}%"))
    return query


# --- the map ---------------------------------------------------------------------------------


def map_view(
    *,
    session: Session,
    index: EventIndex,
    actor: Actor,
    filters: ScreenFilters,
    bbox: tuple[float, float, float, float],
    zoom: float,
    now: datetime,
) -> dict:
    """The events in view: single points when few, else clusters of about 64 px."""
    scope = select_rows(session=session, index=index, actor=actor, filters=filters, now=now)
    c = scope.columns
    rows = _in_view(scope, bbox)
    features = []
    in_view = int(len(rows))
    if in_view <= POINTS_LIMIT or zoom >= POINTS_ZOOM:
        for i in rows[np.argsort(-c.id[rows])][:5000]:
            features.append(
                {
                    "type": "Feature",
                    "id": int(c.id[i]),
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(float(c.lon[i]), 6), round(float(c.lat[i]), 6)],
                    },
                    "properties": {
                        "status": STATUSES[c.status[i]],
                        "category": index.categories.values[c.category[i]],
                        "at_risk": bool(c.at_risk[i]),
                        "overdue": bool(c.overdue[i]),
                    },
                }
            )
        mode = "points"
    else:
        # One pass over the rows in view: label = status * 2 + overdue, so that each cell
        # counts its events per status and its overdue ones (a second pass for the overdue
        # counts cost as much again: ~35 ms at a million events).
        cells = cluster(
            c.lon[rows],
            c.lat[rows],
            zoom=zoom,
            cell_px=64.0,
            labels=c.status[rows].astype("int64") * 2 + c.overdue[rows],
            n_labels=len(STATUSES) * 2,
            mercator=(c.ux[rows], c.uy[rows]),
        )
        by_status_overdue = cells.by_label.reshape(len(cells), len(STATUSES), 2)
        by_status = by_status_overdue.sum(axis=2)
        overdue = by_status_overdue[:, :, 1].sum(axis=1)
        for k in range(len(cells)):
            counts = by_status[k]
            features.append(
                {
                    "type": "Feature",
                    "id": f"c{int(zoom)}:{int(cells.key[k])}",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [
                            round(float(cells.lon[k]), 6),
                            round(float(cells.lat[k]), 6),
                        ],
                    },
                    "properties": {
                        "cluster": True,
                        "count": int(cells.count[k]),
                        "overdue": int(overdue[k]),
                        "statuses": {STATUSES[i]: int(v) for i, v in enumerate(counts) if v},
                    },
                }
            )
        mode = "clusters"
    return {"type": "FeatureCollection", "features": features, "mode": mode, "in_view": in_view}


def _in_view(scope: Selection, bbox: tuple[float, float, float, float]) -> np.ndarray:
    """Row numbers of the selected events inside the WGS84 bbox."""
    c = scope.columns
    x0, y0, x1, y1 = bbox
    return np.flatnonzero(
        scope.mask & (c.lon >= x0) & (c.lon <= x1) & (c.lat >= y0) & (c.lat <= y1)
    )


def heat(
    *,
    session: Session,
    index: EventIndex,
    actor: Actor,
    filters: ScreenFilters,
    bbox: tuple[float, float, float, float],
    zoom: float,
    now: datetime,
) -> dict:
    """Weighted points for the heat layer: events binned into 16-px cells of the view."""
    scope = select_rows(session=session, index=index, actor=actor, filters=filters, now=now)
    c = scope.columns
    rows = _in_view(scope, bbox)
    cells = cluster(
        c.lon[rows], c.lat[rows], zoom=zoom, cell_px=16.0, mercator=(c.ux[rows], c.uy[rows])
    )
    peak = int(cells.count.max()) if len(cells) else 1
    return {
        "max": peak,
        "points": [
            [round(float(la), 5), round(float(lo), 5), int(n)]
            for lo, la, n in zip(cells.lon, cells.lat, cells.count, strict=True)
        ],
    }


def changes(
    *,
    session: Session,
    index: EventIndex,
    actor: Actor,
    filters: ScreenFilters,
    since_ms: int,
    now: datetime,
) -> dict:
    """Events (in the filters) this process has seen change since `since_ms`."""
    scope = select_rows(session=session, index=index, actor=actor, filters=filters, now=now)
    c = scope.columns
    changed = np.flatnonzero(scope.mask & (c.noticed > since_ms))
    newest = changed[np.argsort(-c.id[changed])][:100]
    return {
        "cursor": int(now.timestamp() * 1000),
        "changed": int(len(changed)),
        "ids": c.id[newest].tolist(),
    }


# --- lists -----------------------------------------------------------------------------------


def lists(
    *,
    session: Session,
    index: EventIndex,
    actor: Actor,
    filters: ScreenFilters,
    now: datetime,
    size: int = 12,
) -> dict:
    """Newest events, overdue and at-risk events, and open supervision orders."""
    scope = select_rows(session=session, index=index, actor=actor, filters=filters, now=now)
    c, mask = scope.columns, scope.mask
    rows = np.flatnonzero(mask)
    newest = _newest_first(rows, c.created, size)
    open_rows = np.isin(c.status, [_STATUS_CODE[s] for s in OPEN_STATUSES])
    late_rows = np.flatnonzero(mask & open_rows & (c.overdue | c.at_risk))
    late = late_rows[np.lexsort((c.due[late_rows], ~c.overdue[late_rows]))][:size]
    details = _details(session, [int(c.id[i]) for i in np.concatenate([newest, late])])
    orders = session.execute(
        _scope_events(
            select(
                Supervision.id,
                Supervision.event_id,
                Supervision.level,
                Supervision.kind,
                Supervision.issued_at,
                Supervision.reply_due,
                Supervision.message,
                Unit.name,
                Event.title,
            )
            .join(Event, Event.id == Supervision.event_id)
            .join(Unit, Unit.id == Supervision.unit_id)
            .where(Supervision.state == SupervisionState.open)
            .order_by(Supervision.issued_at.desc())
            .limit(size),
            actor,
            filters,
        )
    ).all()
    return {
        "newest": [details[int(c.id[i])] for i in newest if int(c.id[i]) in details],
        "late": [details[int(c.id[i])] for i in late if int(c.id[i]) in details],
        "supervision": [
            {
                "id": o[0],
                "event_id": o[1],
                "level": o[2],
                "kind": o[3],
                "issued_at": o[4].isoformat(),
                "reply_due": o[5].isoformat() if o[5] else None,
                "message": o[6],
                "unit": o[7],
                "title": o[8],
            }
            for o in orders
        ],
    }


def _newest_first(rows: np.ndarray, created: np.ndarray, size: int) -> np.ndarray:
    """`rows[np.argsort(-created[rows], kind="stable")][:size]` without sorting every row
    (a full sort of a million rows took ~100 ms for 12 of them): the rows at or above the
    size-th largest time, in row order, then a stable sort of those few."""
    values = created[rows]
    if len(rows) > size > 0:
        kth = np.partition(values, len(values) - size)[len(values) - size]
        keep = np.flatnonzero(values >= kth)
        rows, values = rows[keep], values[keep]
    return rows[np.argsort(-values, kind="stable")][:size]


def _details(session: Session, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    rows = session.execute(
        select(
            Event.id,
            Event.title,
            Event.status,
            Event.category_code,
            Category.name,
            Event.created_at,
            Event.handle_due,
            Event.overdue,
            Event.at_risk,
            Event.township_code,
            Event.village_code,
            Event.grid_code,
            func.ST_X(Event.location),
            func.ST_Y(Event.location),
        )
        .join(Category, Category.code == Event.category_code)
        .where(Event.id.in_(ids))
    )
    return {
        r[0]: {
            "id": r[0],
            "title": r[1],
            "status": r[2],
            "category": r[3],
            "category_name": r[4],
            "created_at": r[5].isoformat(),
            "handle_due": r[6].isoformat() if r[6] else None,
            "overdue": r[7],
            "at_risk": r[8],
            "township_code": r[9],
            "village_code": r[10],
            "grid_code": r[11],
            "lon": r[12],
            "lat": r[13],
        }
        for r in rows
    }


# --- spatial query and search ----------------------------------------------------------------


def within(
    *,
    session: Session,
    index: EventIndex,
    actor: Actor,
    filters: ScreenFilters,
    shape: shapely.Geometry,
    now: datetime,
    size: int = 50,
) -> dict:
    """Events inside a drawn polygon or circle (WGS84): count, by status, the newest few."""
    scope = select_rows(session=session, index=index, actor=actor, filters=filters, now=now)
    c = scope.columns
    candidates = _in_view(scope, shape.bounds)
    shapely.prepare(shape)
    inside = candidates[shapely.contains_xy(shape, c.lon[candidates], c.lat[candidates])]
    by_status = np.bincount(c.status[inside], minlength=len(STATUSES))
    newest = inside[np.argsort(-c.created[inside])][:size]
    details = _details(session, [int(c.id[i]) for i in newest])
    return {
        "count": int(len(inside)),
        "by_status": {s: int(by_status[i]) for i, s in enumerate(STATUSES) if by_status[i]},
        "events": [details[int(c.id[i])] for i in newest if int(c.id[i]) in details],
    }


def search(*, session: Session, actor: Actor, q: str, size: int = 10) -> dict:
    """Events by id or text, and areas of the active set by name or code."""
    require_screen(actor)
    q = q.strip()
    if not q:
        raise InvalidInput(
            "type an event number, words of its title, or an area name or code", field="q"
        )
    matches = [Event.title.ilike(f"%{q}%"), Event.address.ilike(f"%{q}%")]
    if q.isdigit() and len(q) <= 15:
        matches.append(Event.id == int(q))
    events_query = select(Event.id).where(visible_clause(actor), or_(*matches))
    ids = list(session.scalars(events_query.order_by(Event.id.desc()).limit(size)))
    details = _details(session, ids)
    current = active_set(session)
    areas = []
    if current is not None:
        rows = session.execute(
            text(
                "SELECT code, name, level, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), "
                "ST_YMax(geom) FROM area WHERE set_id = :set AND (name ILIKE :like OR code LIKE "
                ":prefix) ORDER BY length(code), code LIMIT :size"
            ),
            {"set": current.id, "like": f"%{q}%", "prefix": f"{q}%", "size": size},
        )
        areas = [
            {"code": r[0], "name": r[1], "level": r[2], "bbox": [r[3], r[4], r[5], r[6]]}
            for r in rows
        ]
    return {"events": [details[i] for i in ids if i in details], "areas": areas}


def area_bounds(session: Session, code: str) -> dict | None:
    """Name, level and bounds of an area of the active set (for ?area=CODE)."""
    current = active_set(session)
    if current is None:
        return None
    row = session.execute(
        select(
            Area.code,
            Area.name,
            Area.level,
            func.ST_XMin(Area.geom),
            func.ST_YMin(Area.geom),
            func.ST_XMax(Area.geom),
            func.ST_YMax(Area.geom),
        ).where(Area.set_id == current.id, Area.code == code)
    ).first()
    if row is None:
        return None
    return {"code": row[0], "name": row[1], "level": row[2], "bbox": list(row[3:7])}
