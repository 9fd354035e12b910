"""Reading an event's timeline into its fact row: when each stage first happened.

This is the one reading of the timeline for the indicators (`fact_of`): every indicator of
api/indicators/definitions.py is a count or an average over these rows, evaluated at the end of a
period. The rules, in the order the timeline is read:

- reported: the `report` entry (who reported, with which role); accepted, rejected, assigned,
  returned (the lead unit said "not ours"), escalated, rated: the first entry of that action;
- the deadline in force: the `handle_due` of the latest assignment, moved by an approved
  extension of the lead task; none after a return, an escalation or a rejection;
- overdue_at: the first moment the event was in a unit's hands (assigned, or back after rework
  or a reopening) past the deadline in force: that deadline (never before the handling began);
- handled: the first entry that made the event `handled`; handled late if it was overdue before
  that, or a unit's feedback until then was recorded late;
- reworked: the first failed verification; extended: the first approved extension;
- closed: the first entry that made it `closed` (its closure type says on time, `normal`, or
  not); the level that closed it: the county for `county_close`, else the kind of the lead unit
  (grid, village, or township for platforms, departments and the command room); reopened: the
  first dissatisfied rating that reopened it; closed_last_at: when it was closed for good, if
  it is closed now;
- satisfied: the first rating is 满意 or 基本满意;
- `history` entries (imported past events) carry their stage times in their details.

Where the event was routed (grid, village, township: frozen on the event at intake), its category
and platform come from the event; `emergency` says whether its township (or its village, when
the declaration named villages) was in 战时 when it was reported (api/mode records each change).

`refresh` drains the queue the timeline's trigger fills and rewrites those rows; every reader
of indicators calls it first, in its own transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.events.models import EventStatus, Satisfaction
from api.events.transitions import Action, SystemEntry
from api.indicators.models import CloseLevel, IndicatorEvent
from api.units.models import UnitKind
from api.worktime.service import calendar

Progress = Callable[[str, int, int], None]

SATISFIED = frozenset({Satisfaction.satisfied.value, Satisfaction.basically_satisfied.value})
"""满意 and 基本满意 count as satisfied (满意率)."""

_LEVEL_OF_KIND = {UnitKind.grid.value: CloseLevel.grid, UnitKind.village.value: CloseLevel.village}

_EVENTS = """
SELECT e.id, e.township_code, e.village_code, e.grid_code, e.category_code,
       c.platform_code, e.source, e.created_at,
       COALESCE((SELECT m.mode = 'emergency' AND (cardinality(m.village_codes) = 0
                                                 OR e.village_code = ANY(m.village_codes))
                 FROM mode_change m
                 WHERE m.township_code = e.township_code AND m.at <= e.created_at
                 ORDER BY m.at DESC, m.id DESC LIMIT 1), false)
FROM event e LEFT JOIN category c ON c.code = e.category_code
WHERE {where}
ORDER BY e.id
"""

_ENTRIES = """
SELECT t.event_id, t.at, t.action, t.from_status, t.to_status, t.actor_id, t.actor_role,
       t.details->>'passed', t.details->>'late', t.details->>'approved', t.details->>'new_due',
       t.details->>'handle_due', t.details->>'closure_type', t.details->>'level',
       COALESCE(t.details->'lead'->>'code', t.details->>'lead_unit'), tk.role,
       t.details->>'accepted_at', t.details->>'assigned_at', t.details->>'handled_at'
FROM event_timeline t
LEFT JOIN task tk ON tk.id = CASE WHEN t.action = 'decide_extension'
                                 THEN CAST(t.details->>'task_id' AS bigint) END
WHERE {where}
ORDER BY t.event_id, t.seq
"""


@dataclass(frozen=True)
class Entry:
    """What the indicators read of one timeline entry."""

    at: datetime
    action: str
    from_status: str | None
    to_status: str
    actor_id: int | None = None
    actor_role: str | None = None
    passed: str | None = None
    late: str | None = None
    approved: str | None = None
    new_due: str | None = None
    handle_due: str | None = None
    closure_type: str | None = None
    level: str | None = None
    lead_code: str | None = None
    task_role: str | None = None
    accepted_at: str | None = None
    assigned_at: str | None = None
    handled_at: str | None = None


@dataclass
class EventFacts:
    """The stage moments of one event, as `fact_of` reads them from its timeline."""

    reported_at: datetime | None = None
    reporter_id: int | None = None
    reporter_role: str | None = None
    lead_code: str | None = None
    accepted_at: datetime | None = None
    rejected_at: datetime | None = None
    assigned_at: datetime | None = None
    returned_at: datetime | None = None
    extended_at: datetime | None = None
    overdue_at: datetime | None = None
    handled_at: datetime | None = None
    handled_late: bool = False
    reworked_at: datetime | None = None
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    closed_on_time: bool = False
    closed_by_county: bool = False
    reopened_at: datetime | None = None
    closed_last_at: datetime | None = None
    rated_at: datetime | None = None
    satisfied: bool | None = None
    returns: int = 0
    reworks: int = 0
    extensions: int = 0
    _due: datetime | None = field(default=None, repr=False)
    _handling_since: datetime | None = field(default=None, repr=False)
    _late_seen: bool = field(default=False, repr=False)

    def start_handling(self, at: datetime, due: datetime | None) -> None:
        self._handling_since, self._due = at, due

    def stop_handling(self) -> None:
        self._handling_since, self._due = None, None

    def check_overdue(self, at: datetime | None) -> None:
        """Overdue once a unit holds the event past the deadline in force (at the deadline,
        or when the handling began again, whichever is later). `at` None: the end of the
        timeline, where a deadline still ahead is kept (it passes unless handled)."""
        if self.overdue_at is not None or self._handling_since is None or self._due is None:
            return
        if at is None or at > self._due:
            self.overdue_at = max(self._due, self._handling_since)

    def read_history(self, e: Entry) -> None:
        """An imported past event: its stage times are in the entry's details."""
        if e.to_status == EventStatus.rejected:
            self.rejected_at = self.rejected_at or e.at
            return
        self.accepted_at = self.accepted_at or _time(e.accepted_at)
        self.assigned_at = self.assigned_at or _time(e.assigned_at)
        self.lead_code = e.lead_code or self.lead_code
        handled, due = _time(e.handled_at), _time(e.handle_due)
        if due is not None and handled is not None and handled > due:
            self.overdue_at = self.overdue_at or max(due, self.assigned_at or due)
        self._late_seen = self._late_seen or e.closure_type == "late"
        if handled is not None and self.handled_at is None:
            self.handled_at = handled
            self.handled_late = self._late_seen or self.overdue_at is not None
        self.stop_handling()


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def fact_of(entries: Iterable[Entry]) -> EventFacts:
    """Read one event's timeline (in order) into its stage moments; the rules are above."""
    f = EventFacts()
    status: str | None = None
    last_close: datetime | None = None
    for e in entries:
        f.check_overdue(e.at)
        action = e.action
        if action == SystemEntry.report:
            f.reported_at, f.reporter_id, f.reporter_role = e.at, e.actor_id, e.actor_role
        elif action == Action.accept:
            f.accepted_at = f.accepted_at or e.at
        elif action == Action.reject:
            f.rejected_at = f.rejected_at or e.at
            f.stop_handling()
        elif action == Action.assign:
            f.assigned_at = f.assigned_at or e.at
            f.lead_code = e.lead_code
            f.start_handling(e.at, _time(e.handle_due))
        elif action == Action.return_ and e.to_status == EventStatus.returned:
            f.returns += 1
            f.returned_at = f.returned_at or e.at
            f.stop_handling()
        elif action == Action.decide_extension and e.approved == "true":
            f.extensions += 1
            f.extended_at = f.extended_at or e.at
            if e.task_role == "lead":
                f._due = _time(e.new_due)
        elif action == Action.feedback and e.late == "true":
            f._late_seen = True
        elif action == Action.verify and e.passed == "false":
            f.reworks += 1
            f.reworked_at = f.reworked_at or e.at
            f._handling_since = e.at
        elif action == Action.escalate:
            f.escalated_at = f.escalated_at or e.at
            f.stop_handling()
        elif action == Action.rate:
            if f.rated_at is None:
                f.rated_at, f.satisfied = e.at, e.level in SATISFIED
            if e.to_status == EventStatus.in_progress:
                f.reopened_at = f.reopened_at or e.at
                f._handling_since = e.at
        elif action == SystemEntry.history:
            f.read_history(e)
        if e.to_status == EventStatus.handled and status != EventStatus.handled:
            if f.handled_at is None:
                f.handled_at = e.at
                f.handled_late = f._late_seen or f.overdue_at is not None
            f._handling_since = None
        if e.to_status == EventStatus.closed and status != EventStatus.closed:
            if f.closed_at is None:
                f.closed_at = e.at
                f.closed_on_time = e.closure_type == "normal"
                f.closed_by_county = action == Action.county_close
            f._handling_since = None
            last_close = e.at
        status = e.to_status
    f.closed_last_at = last_close if status == EventStatus.closed else None
    f.check_overdue(None)
    return f


# --- building the rows ----------------------------------------------------------------------

_COLUMNS = [c.name for c in IndicatorEvent.__table__.columns]
_STAGES = (  # (column, from, to): the working hours of each stage
    ("wh_accept", "reported_at", "accepted_at"),
    ("wh_assign", "accepted_at", "assigned_at"),
    ("wh_handle", "assigned_at", "handled_at"),
    ("wh_verify", "handled_at", "closed_at"),
)
CHUNK = 20_000  # events read, built and written at a time


def _units(session: Session) -> dict[str, tuple[int, str]]:
    return {
        code: (unit_id, kind)
        for unit_id, code, kind in session.execute(text("SELECT id, code, kind FROM unit"))
    }


def _rows(session: Session, where: str, params: dict) -> list[dict]:
    """The fact rows of the events `where` selects (an SQL condition on `e`)."""
    events = session.execute(text(_EVENTS.format(where=where)), params).all()
    if not events:
        return []
    entries: dict[int, list[Entry]] = {}
    timeline_where = where.replace("e.id", "t.event_id")
    for row in session.execute(text(_ENTRIES.format(where=timeline_where)), params):
        entries.setdefault(row[0], []).append(Entry(*row[1:]))
    units = _units(session)
    rows = []
    for (
        event_id,
        township,
        village,
        grid,
        category,
        platform,
        source,
        created,
        emerg,
    ) in events:
        read = entries.get(event_id, [])
        f = fact_of(read)
        unit_id, kind = units.get(f.lead_code or "", (None, None))
        level = None
        if f.closed_at is not None:
            level = (
                CloseLevel.county
                if f.closed_by_county
                else _LEVEL_OF_KIND.get(kind or "", CloseLevel.township)
            )
        rows.append(
            dict(
                event_id=event_id,
                version=max(len(read), 1),  # seq runs 1..n: the timeline read
                township_code=township,
                village_code=village,
                grid_code=grid,
                category_code=category,
                platform_code=platform,
                source=source,
                reporter_id=f.reporter_id,
                reporter_role=f.reporter_role,
                lead_unit_id=unit_id,
                emergency=bool(emerg),
                reported_at=f.reported_at or created,
                accepted_at=f.accepted_at,
                rejected_at=f.rejected_at,
                assigned_at=f.assigned_at,
                returned_at=f.returned_at,
                extended_at=f.extended_at,
                overdue_at=f.overdue_at,
                handled_at=f.handled_at,
                handled_late=f.handled_late,
                reworked_at=f.reworked_at,
                escalated_at=f.escalated_at,
                closed_at=f.closed_at,
                closed_on_time=f.closed_on_time,
                close_level=level.value if level else None,
                reopened_at=f.reopened_at,
                closed_last_at=f.closed_last_at,
                rated_at=f.rated_at,
                satisfied=f.satisfied,
                returns=f.returns,
                reworks=f.reworks,
                extensions=f.extensions,
            )
        )
    _working_hours(rows)
    return rows


def _working_hours(rows: list[dict]) -> None:
    """Each stage's working hours, for all rows at once (the working calendar, vectorised)."""

    def epochs(name: str) -> np.ndarray:
        return np.array([r[name].timestamp() if r[name] else np.nan for r in rows])

    cal = calendar()
    for column, start, end in _STAGES:
        hours = cal.working_hours_many(epochs(start), epochs(end))
        for row, value in zip(rows, hours, strict=True):
            row[column] = None if np.isnan(value) else round(float(value), 4)


def _copy(session: Session, table: str, rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if row[c] is None else row[c] for c in _COLUMNS])
    buffer.seek(0)
    cursor = session.connection().connection.dbapi_connection.cursor()
    cursor.copy_expert(
        f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
    )


_UPSERT = f"""
INSERT INTO indicator_event ({", ".join(_COLUMNS)})
SELECT {", ".join(_COLUMNS)} FROM indicator_event_load
ON CONFLICT (event_id) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "event_id")}
WHERE indicator_event.version <= EXCLUDED.version
"""


def _write(session: Session, rows: list[dict]) -> None:
    """Write the fact rows of these events, each unless a row built from a longer timeline is
    there already (two refreshes at once: the later timeline wins, whichever commits last)."""
    if not rows:
        return
    session.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS indicator_event_load "
            "(LIKE indicator_event INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
    )
    _copy(session, "indicator_event_load", rows)
    session.execute(text(_UPSERT))
    session.execute(text("DELETE FROM indicator_event_load"))


def _write_new(session: Session, rows: list[dict]) -> None:
    """Write fact rows no other has (a bulk load of new events): one COPY."""
    if rows:
        _copy(session, "indicator_event", rows)


def rebuild(session: Session, event_ids: list[int]) -> int:
    """Rewrite the fact rows of these events from their timelines; how many were written."""
    written = 0
    ids = sorted(set(event_ids))
    for i in range(0, len(ids), CHUNK):
        rows = _rows(session, "e.id = ANY(:ids)", {"ids": ids[i : i + CHUNK]})
        _write(session, rows)
        written += len(rows)
    return written


def rebuild_all(session: Session, progress: Progress | None = None) -> int:
    """Rewrite every fact row (to check the incremental ones, or after a change of rules)."""
    session.execute(text("DELETE FROM indicator_dirty"))
    session.execute(text("DELETE FROM indicator_event"))
    return rebuild_range(session, 0, progress)


def rebuild_range(session: Session, after_id: int, progress: Progress | None = None) -> int:
    """Write the fact rows of the events with ids above `after_id` (a bulk load), by chunks."""
    low, high = session.execute(
        text("SELECT min(id), max(id) FROM event WHERE id > :a"), {"a": after_id}
    ).one()
    written = 0
    if low is None:
        return 0
    session.execute(text("DELETE FROM indicator_dirty WHERE event_id > :a"), {"a": after_id})
    session.execute(text("DELETE FROM indicator_event WHERE event_id > :a"), {"a": after_id})
    for start in range(low, high + 1, CHUNK):
        rows = _rows(session, "e.id >= :lo AND e.id < :hi", {"lo": start, "hi": start + CHUNK})
        _write_new(session, rows)
        written += len(rows)
        if progress:
            progress("indicator facts", min(start + CHUNK, high + 1) - low, high + 1 - low)
    return written


def refresh(session: Session) -> int:
    """Bring the fact rows up to date: rebuild the events the timeline's trigger queued.

    A concurrent refresh waits for this one's rows (they are deleted here, locked until commit)
    and then finds them gone, so every event is rebuilt by one of them, from its whole timeline.
    """
    queued = session.scalars(text("DELETE FROM indicator_dirty RETURNING event_id")).all()
    return rebuild(session, list(queued)) if queued else 0
