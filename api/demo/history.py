"""A year of synthetic history, made inside PostGIS: up to millions of past events in a minute.

For demos and benchmarks at scale (`shuxin demo --events 1000000`): points are drawn inside the
active set's grids by PostGIS (ST_GeneratePoints), so every event is routed `inside` its grid by
construction; older events are closed (a few rejected), each closed one with its done lead task
and its timeline (reported, then one `history` entry carrying the times of its stages), and its
fact row for the indicators. The recent, open part of a demo goes through the real
workflow instead (api.demo.lifecycle).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.events.models import ClosureType, Event, EventStatus, RejectReason, Urgency
from api.events.transitions import SystemEntry
from api.indicators.facts import rebuild_range
from gis.boundaries import active_set
from gis.router import RoutingMethod

Progress = Callable[[str, int, int], None]

_E = Event.__table__.c
# Each column of a history event and the SQL that makes it, from the rows drawn below (`d` the
# point and its dice, `l` the catalog's leaves, `u` the default unit, `t` the times): the
# INSERT's column list is these keys, taken from the table definition.
_VALUES = {
    _E.title: "l.names[1 + floor(d.r_cat * :leaf_count)::int] || '（历史数据）'",
    _E.description: "'历史事件，演示与压力测试用。'",
    _E.category_code: "l.codes[1 + floor(d.r_cat * :leaf_count)::int]",
    _E.urgency: f"'{Urgency.normal.value}'",
    _E.source: "(ARRAY['grid_worker','grid_worker','grid_worker','citizen','hotline','department'])"
    "[1 + floor(d.r_src * 6)::int]",
    _E.external_id: "'hist-' || :seed || '-' || row_number() OVER ()",
    _E.status: f"CASE WHEN d.r_fate < 0.05 THEN '{EventStatus.rejected.value}' "
    f"ELSE '{EventStatus.closed.value}' END",
    _E.location: "d.pt",
    _E.input_lon: "ST_X(d.pt)",
    _E.input_lat: "ST_Y(d.pt)",
    _E.input_crs: "'wgs84'",
    _E.occurred_at: "t.created - interval '20 minutes'",
    _E.created_at: "t.created",
    _E.updated_at: "t.closed",
    _E.routing_set_id: ":set_id",
    _E.routing_method: f"'{RoutingMethod.inside.value}'",
    _E.grid_code: "d.code",
    _E.village_code: "d.village",
    _E.township_code: "NULLIF(d.township, '')",
    _E.routing_distance_m: "0",
    _E.routing_candidates: "ARRAY[d.code]",
    _E.accepted_at: "CASE WHEN d.r_fate >= 0.05 THEN t.created + interval '30 minutes' END",
    _E.assigned_at: "CASE WHEN d.r_fate >= 0.05 THEN t.created + interval '1 hour' END",
    _E.handled_at: "CASE WHEN d.r_fate >= 0.05 THEN t.closed - interval '2 hours' END",
    _E.closed_at: "t.closed",
    _E.closure_type: f"CASE WHEN d.r_fate < 0.05 THEN NULL WHEN d.r_fate > 0.93 "
    f"THEN '{ClosureType.late.value}' ELSE '{ClosureType.normal.value}' END",
    _E.reject_reason: f"CASE WHEN d.r_fate < 0.05 THEN '{RejectReason.invalid.value}' END",
    _E.version: "2",
    _E.lead_unit_id: "CASE WHEN d.r_fate >= 0.05 THEN u.id END",
    _E.handle_due: "CASE WHEN d.r_fate >= 0.05 THEN t.closed - interval '2 hours' + "
    "CASE WHEN d.r_fate > 0.93 THEN interval '-6 hours' ELSE interval '8 hours' END END",
}

_EVENTS = f"""
WITH grids AS (
    SELECT g.code, g.parent_code AS village, COALESCE(v.parent_code, '') AS township, g.geom
    FROM area g LEFT JOIN area v ON v.set_id = g.set_id AND v.code = g.parent_code
    WHERE g.set_id = :set_id AND g.level = 'grid'
    ORDER BY g.code OFFSET :offset LIMIT :limit
), points AS (
    SELECT code, village, township, (ST_Dump(ST_GeneratePoints(geom, :per_grid, :seed))).geom AS pt
    FROM grids
), leaves AS (
    SELECT array_agg(code ORDER BY code) AS codes, array_agg(name ORDER BY code) AS names,
           array_agg(COALESCE(platform_code, '') ORDER BY code) AS platforms
    FROM category WHERE active AND parent_code IS NOT NULL
), drawn AS (
    SELECT p.*, random() AS r_age, random() AS r_fate, random() AS r_cat, random() AS r_src,
           random() AS r_hours
    FROM points p
)
INSERT INTO event ({", ".join(c.name for c in _VALUES)})
SELECT {", ".join(_VALUES.values())}
FROM drawn d
CROSS JOIN leaves l
LEFT JOIN unit u ON u.code = d.township || '-' || l.platforms[1 + floor(d.r_cat * :leaf_count)::int]
CROSS JOIN LATERAL (
    SELECT :start_at - (d.r_age * :span_days) * interval '1 day' AS created
) AS c0
CROSS JOIN LATERAL (
    SELECT c0.created AS created, c0.created + (2 + d.r_hours * 70) * interval '1 hour' AS closed
) AS t
"""

_TASKS = """
INSERT INTO task (event_id, unit_id, role, state, assigned_at, acknowledge_due, handle_due,
                  at_risk_at, acknowledged_at, started_at, done_at)
SELECT e.id, e.lead_unit_id, 'lead', 'done', e.assigned_at, e.assigned_at + interval '2 hours',
       e.handle_due, e.assigned_at + (e.handle_due - e.assigned_at) * 0.8,
       e.assigned_at + interval '20 minutes', e.assigned_at + interval '40 minutes',
       e.handled_at
FROM event e
WHERE e.id > :after_id AND e.lead_unit_id IS NOT NULL
"""

_TIMELINE = f"""
INSERT INTO event_timeline (event_id, seq, at, action, actor_name, from_status, to_status,
                            comment, details)
SELECT id, 1, created_at, '{SystemEntry.report.value}', '历史数据导入', NULL, 'reported', NULL,
       jsonb_build_object('source', source, 'routing', routing_method)
FROM event WHERE id > :after_id
UNION ALL
SELECT e.id, e.version, e.closed_at, '{SystemEntry.history.value}', '历史数据导入', 'reported',
       e.status, '历史数据：办理过程未逐步导入',
       jsonb_strip_nulls(jsonb_build_object(
           'closure_type', e.closure_type, 'accepted_at', e.accepted_at,
           'assigned_at', e.assigned_at, 'handled_at', e.handled_at,
           'handle_due', e.handle_due, 'lead_unit', u.code))
FROM event e LEFT JOIN unit u ON u.id = e.lead_unit_id WHERE e.id > :after_id
"""


def generate_history(
    *,
    session: Session,
    count: int,
    now: datetime,
    span_days: float = 365,
    recent_days: float = 3,
    seed: int = 20241126,
    progress: Progress | None = None,
    indicator_facts: bool = True,
) -> int:
    """About `count` past events (closed or rejected) over `span_days` before `recent_days` ago,
    spread evenly over the active set's grids, with their indicator fact rows; the number
    made."""
    current = active_set(session)
    if current is None:
        raise RuntimeError("no boundary set is active: load boundaries first")
    grids = (
        session.scalar(
            text("SELECT count(*) FROM area WHERE set_id = :s AND level = 'grid'"),
            {"s": current.id},
        )
        or 0
    )
    leaves = (
        session.scalar(
            text("SELECT count(*) FROM category WHERE active AND parent_code IS NOT NULL")
        )
        or 0
    )
    if not grids or not leaves:
        raise RuntimeError("the active set has no grids, or the catalog no categories")
    after_id = session.scalar(text("SELECT COALESCE(max(id), 0) FROM event")) or 0
    per_grid = max(1, math.ceil(count / grids))
    session.execute(text("SELECT setseed(:s)"), {"s": (seed % 1000) / 1000})
    batch = max(1, 200_000 // per_grid)  # grids per statement: about 200k events at a time
    start_at = now.timestamp() - recent_days * 86400
    restore = _bulk_load_settings(session)
    for offset in range(0, grids, batch):
        session.execute(
            text(_EVENTS),
            {
                "set_id": current.id,
                "offset": offset,
                "limit": batch,
                "per_grid": per_grid,
                "seed": seed + offset,
                "leaf_count": leaves,
                "span_days": span_days,
                "start_at": datetime.fromtimestamp(start_at, now.tzinfo),
            },
        )
        if progress:
            progress("history events", min(grids, offset + batch) * per_grid, grids * per_grid)
    session.execute(text(_TASKS), {"after_id": after_id})
    if progress:
        progress("history tasks and timelines", 1, 2)
    session.execute(text(_TIMELINE), {"after_id": after_id})
    if progress:
        progress("history tasks and timelines", 2, 2)
    restore()
    # The timeline's trigger was off (replica mode): build the new events' fact rows for the
    # indicators now (about 6,500 events/s), or queue them (`indicator_facts=False`: the first
    # indicator request then builds them).
    if indicator_facts:
        rebuild_range(session, after_id, progress)
    else:
        session.execute(
            text("INSERT INTO indicator_dirty (event_id) SELECT id FROM event WHERE id > :a"),
            {"a": after_id},
        )
    return session.scalar(text("SELECT count(*) FROM event WHERE id > :a"), {"a": after_id}) or 0


def _bulk_load_settings(session: Session) -> Callable[[], None]:
    """Settings for the three bulk INSERTs, local to the transaction; returns their undo.

    - `jit = off`: each 200k-row INSERT spent ~0.8 s compiling its expressions, for nothing.
    - `session_replication_role = replica` (superusers only, as for the embedded cluster; as
      pg_restore --disable-triggers does): skips the per-row foreign-key triggers, about 12
      per event (5 on the event, 3 on its task, 2 on each of its 2 timeline entries), which
      were over a third of the time. Every reference is correct by construction: category
      codes and unit ids are read from their tables in the same statement, the set is the
      active one, tasks and timeline entries point at the events just inserted. No other
      trigger fires on INSERT into these tables. The rest of the caller's transaction runs
      with the settings it had: the undo restores them.
    """
    before = session.execute(
        text(
            "SELECT current_setting('jit'), current_setting('session_replication_role'), "
            "current_setting('is_superuser')"
        )
    ).one()
    session.execute(text("SELECT set_config('jit', 'off', true)"))
    if before[2] == "on":
        session.execute(text("SELECT set_config('session_replication_role', 'replica', true)"))

    def restore() -> None:
        session.execute(
            text(
                "SELECT set_config('jit', :jit, true), "
                "set_config('session_replication_role', :role, true)"
            ),
            {"jit": before[0], "role": before[1]},
        )

    return restore
