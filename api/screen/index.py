"""An in-memory, column-wise copy of what the command screen needs of every event.

The screen must stay fast with a million events: its map clusters, panels and lists are
answered from numpy arrays (one bincount over a million rows takes milliseconds), not from SQL
aggregates over the event table. PostGIS stays the source of truth: the index loads once per
process (COPY) and then follows it — every request older than `max_age_s` picks up the rows
written since by transactions that were still running, or not yet begun, when it last looked
(`event.change_xid` against the snapshot's oldest running transaction): PostgreSQL's own order
of commits, so a transaction that commits late, however long it ran, is never skipped. Readers
never see a half-merged index: a refresh builds the new columns aside and swaps them in.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.events.models import OPEN_STATES, Event, EventStatus
from gis.cluster import unit_mercator

log = logging.getLogger("shuxin.screen")

STATUSES: tuple[str, ...] = tuple(s.value for s in EventStatus)
OPEN_STATUSES: tuple[str, ...] = tuple(s.value for s in EventStatus if s in OPEN_STATES)
NO_TIME = np.iinfo("int64").max  # "never" for timestamps (assigned, closed, due ...)

_E = Event.__table__.c


def _text(column) -> str:
    return f"COALESCE(e.{column.name}, '')" if column.nullable else f"e.{column.name}"


def _epoch(column) -> str:
    seconds = f"CAST(extract(epoch FROM e.{column.name}) AS bigint)"
    return f"COALESCE({seconds}, {NO_TIME})" if column.nullable else seconds


# What the index holds of each event, and how it is read from the event table's columns.
_READ = {
    "id": f"e.{_E.id.name}",
    "lon": f"ST_X(e.{_E.location.name})",
    "lat": f"ST_Y(e.{_E.location.name})",
    "status": _text(_E.status),
    "category": _text(_E.category_code),
    "township": _text(_E.township_code),
    "village": _text(_E.village_code),
    "grid": _text(_E.grid_code),
    "reporter_township": _text(_E.reporter_township_code),
    "reported_by": f"COALESCE(e.{_E.reported_by_id.name}, 0)",
    "created": _epoch(_E.created_at),
    "assigned": _epoch(_E.assigned_at),
    "handled": _epoch(_E.handled_at),
    "closed": _epoch(_E.closed_at),
    "due": _epoch(_E.handle_due),
    "updated": f"CAST(extract(epoch FROM e.{_E.updated_at.name}) * 1000000 AS bigint)",
    "at_risk": f"CAST(e.{_E.at_risk.name} AS int)",
    "overdue": f"CAST(e.{_E.overdue.name} AS int)",
    "routing": _text(_E.routing_method),
    "urgency": _text(_E.urgency),
}
_COLUMNS = ", ".join(_READ.values())
_NAMES = list(_READ)


class Codes:
    """A growing code ↔ small-integer table (category codes, area codes ...)."""

    def __init__(self, initial: tuple[str, ...] = ()) -> None:
        self.values: list[str] = list(initial)
        self.index: dict[str, int] = {v: i for i, v in enumerate(self.values)}

    def encode(self, values) -> np.ndarray:
        out = np.empty(len(values), dtype="int32")
        for i, value in enumerate(values):
            code = self.index.get(value)
            if code is None:
                code = self.index[value] = len(self.values)
                self.values.append(value)
            out[i] = code
        return out

    def encode_series(self, series: pd.Series) -> np.ndarray:
        """Encode a pandas column fast: factorize first, then map the few distinct values."""
        codes, uniques = pd.factorize(series, sort=False)
        return self.encode(list(uniques))[codes] if len(uniques) else codes.astype("int32")

    def find(self, value: str) -> int:
        return self.index.get(value, -1)


@dataclass
class Columns:
    """One array per attribute, all of the same length, sorted by event id."""

    id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    ux: np.ndarray
    uy: np.ndarray
    status: np.ndarray
    category: np.ndarray
    township: np.ndarray
    village: np.ndarray
    grid: np.ndarray
    reporter_township: np.ndarray
    reported_by: np.ndarray  # user id, 0 when none
    created: np.ndarray
    assigned: np.ndarray
    handled: np.ndarray
    closed: np.ndarray
    due: np.ndarray
    at_risk: np.ndarray
    overdue: np.ndarray
    routing: np.ndarray
    urgency: np.ndarray
    noticed: np.ndarray  # epoch ms when this process last saw the row change

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class EventIndex:
    """The screen's copy of the event table, for one process."""

    max_age_s: float = 1.0
    columns: Columns | None = None
    categories: Codes = field(default_factory=Codes)
    areas: Codes = field(default_factory=lambda: Codes(("",)))
    routing: Codes = field(
        default_factory=lambda: Codes(("inside", "border", "nearest", "unrouted"))
    )
    statuses: Codes = field(default_factory=lambda: Codes(STATUSES))
    xmin: int = 0  # the oldest transaction running when the index last looked
    refreshed_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ready(self) -> bool:
        return self.columns is not None

    def rows(self, session: Session) -> IndexRows:
        """The current columns, as the visibility policy reads them."""
        return IndexRows(self, self.current(session))

    def current(self, session: Session) -> Columns:
        """The columns, loaded on first use and refreshed when older than `max_age_s`."""
        if self.columns is None or time.monotonic() - self.refreshed_at > self.max_age_s:
            with self.lock:
                if self.columns is None:
                    self._load(session)
                elif time.monotonic() - self.refreshed_at > self.max_age_s:
                    self._refresh(session)
        assert self.columns is not None
        return self.columns

    # -- reading from PostGIS -----------------------------------------------------------------

    def _fetch(self, session: Session, where: str, params: dict) -> pd.DataFrame:
        sql = (
            f"COPY (SELECT {_COLUMNS} FROM {Event.__tablename__} e {where} ORDER BY e.id) "
            "TO STDOUT WITH CSV"
        )
        cursor = session.connection().connection.dbapi_connection.cursor()
        buffer = io.StringIO()
        cursor.copy_expert(cursor.mogrify(sql, params).decode(), buffer)
        buffer.seek(0)
        return pd.read_csv(
            buffer,
            header=None,
            names=_NAMES,
            keep_default_na=False,
            na_values={"lon": [""], "lat": [""]},
            dtype={
                "status": str,
                "category": str,
                "township": str,
                "village": str,
                "grid": str,
                "reporter_township": str,
                "routing": str,
                "urgency": str,
            },
        )

    def _to_columns(self, frame: pd.DataFrame, noticed_ms: int) -> Columns:
        lon = frame["lon"].to_numpy("float64", copy=True)
        lat = frame["lat"].to_numpy("float64", copy=True)
        located = np.isfinite(lon) & np.isfinite(lat)
        ux, uy = unit_mercator(np.where(located, lon, 0.0), np.where(located, lat, 0.0))
        return Columns(
            id=frame["id"].to_numpy("int64", copy=True),
            lon=lon,
            lat=lat,
            ux=ux,
            uy=uy,
            status=self.statuses.encode_series(frame["status"]).astype("int8"),
            category=self.categories.encode_series(frame["category"]).astype("int16"),
            township=self.areas.encode_series(frame["township"]),
            village=self.areas.encode_series(frame["village"]),
            grid=self.areas.encode_series(frame["grid"]),
            reporter_township=self.areas.encode_series(frame["reporter_township"]),
            reported_by=frame["reported_by"].to_numpy("int64", copy=True),
            created=frame["created"].to_numpy("int64", copy=True),
            assigned=frame["assigned"].to_numpy("int64", copy=True),
            handled=frame["handled"].to_numpy("int64", copy=True),
            closed=frame["closed"].to_numpy("int64", copy=True),
            due=frame["due"].to_numpy("int64", copy=True),
            at_risk=frame["at_risk"].to_numpy("int8", copy=True).astype(bool),
            overdue=frame["overdue"].to_numpy("int8", copy=True).astype(bool),
            routing=self.routing.encode_series(frame["routing"]).astype("int8"),
            urgency=(frame["urgency"] == "urgent").to_numpy(copy=True),
            noticed=np.full(len(frame), noticed_ms, dtype="int64"),
        )

    def _snapshot_xmin(self, session: Session) -> int:
        """The oldest transaction still running now: every change of a transaction below it is
        committed (or rolled back) and visible to what this transaction reads next."""
        return int(session.scalar(text("SELECT txid_snapshot_xmin(txid_current_snapshot())")))

    def _load(self, session: Session) -> None:
        started = time.perf_counter()
        xmin = self._snapshot_xmin(session)
        frame = self._fetch(session, "", {})
        self.xmin = xmin
        self.columns = self._to_columns(frame, 0)
        self.refreshed_at = time.monotonic()
        log.info(
            "screen index: %d events loaded in %.1f s", len(frame), time.perf_counter() - started
        )

    def _refresh(self, session: Session) -> None:
        # Rows written by transactions at or after the oldest one running last time: those
        # committed since are visible now; those still running will be read next time.
        xmin = self._snapshot_xmin(session)
        frame = self._fetch(session, "WHERE e.change_xid >= %(since)s", {"since": self.xmin})
        if len(frame):
            self._merge(self._to_columns(frame, int(time.time() * 1000)))
        self.xmin = xmin
        self.refreshed_at = time.monotonic()

    def _merge(self, new: Columns) -> None:
        """Update rows already held and add the others, on a copy swapped in at the end (a
        reader holding the old columns never sees half of a merge); rows stay sorted by id (a
        late commit may add an id lower than some already held)."""
        old = self.columns
        assert old is not None
        if len(old.id):
            position = np.searchsorted(old.id, new.id)
            held = old.id[np.minimum(position, len(old.id) - 1)] == new.id
        else:
            position, held = np.zeros(len(new.id), "int64"), np.zeros(len(new.id), bool)
        rows = position[held]
        # A row read again unchanged keeps the time it was noticed.
        changed = np.zeros(len(rows), dtype=bool)
        for name in _WATCHED:
            changed |= getattr(old, name)[rows] != getattr(new, name)[held]
        merged = {name: getattr(old, name).copy() for name in (*_FIELDS, "noticed")}
        for name in _FIELDS:
            merged[name][rows] = getattr(new, name)[held]
        merged["noticed"][rows] = np.where(changed, new.noticed[held], old.noticed[rows])
        fresh = ~held
        if fresh.any():
            merged = {
                name: np.concatenate([merged[name], getattr(new, name)[fresh]]) for name in merged
            }
            if len(old.id) and new.id[fresh].min() < old.id[-1]:
                order = np.argsort(merged["id"], kind="stable")
                merged = {name: values[order] for name, values in merged.items()}
        self.columns = Columns(**merged)


_FIELDS = tuple(name for name in Columns.__dataclass_fields__ if name != "noticed")
_WATCHED = (
    "status",
    "category",
    "grid",
    "assigned",
    "handled",
    "closed",
    "due",
    "at_risk",
    "overdue",
    "lon",
    "lat",
)


@dataclass(frozen=True)
class IndexRows:
    """The index's columns as `api.events.visibility.visible_mask` asks for them."""

    index: EventIndex
    columns: Columns

    def __len__(self) -> int:
        return len(self.columns)

    def equals(self, column: str, value: str) -> np.ndarray:
        return getattr(self.columns, column) == self.index.areas.find(value)

    def reported_by(self, user_id: int) -> np.ndarray:
        return self.columns.reported_by == user_id

    def with_ids(self, ids: list[int]) -> np.ndarray:
        return np.isin(self.columns.id, np.asarray(ids, dtype="int64"))


_index = EventIndex()


def event_index() -> EventIndex:
    """The process's index of events."""
    return _index
