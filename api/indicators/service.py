"""Indicators over a period, for a scope, grouped by any level: one SQL pass over the fact rows.

The sets and formulas are those of api/indicators/definitions.py; who sees which township is
`policy.assessment_township`. Every reader calls `facts.refresh` first, so the fact rows hold
every timeline entry committed before the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.errors import InvalidInput
from api.events import policy
from api.events.models import Event
from api.events.schemas import EventOut
from api.events.service import to_out
from api.events.visibility import visible_clause
from api.indicators import facts
from api.indicators.definitions import (
    BY_KEY,
    INDICATORS,
    PERIOD_ROWS,
    SETS,
    STAGES,
    SUPERVISION_SETS,
    Indicator,
)
from api.indicators.periods import Period
from api.users.service import Actor

GROUPS = {  # by → the SQL of a fact row's group (f: indicator_event, u: its lead unit)
    "county": "''",
    "township": "f.township_code",
    "village": "f.village_code",
    "grid": "f.grid_code",
    "platform": "f.platform_code",
    "unit": "u.code",
    "person": "CAST(f.reporter_id AS text)",
    "category": "left(f.category_code, 2)",
}
GROUP_NAMES = {
    "county": "全县",
    "township": "乡镇",
    "village": "村社",
    "grid": "网格",
    "platform": "平台",
    "unit": "单位",
    "person": "人员",
    "category": "大类",
}
MODES = ("all", "emergency", "peacetime")


@dataclass(frozen=True)
class Scope:
    """Which events count: a township, village, grid, platform, unit, person or 大类, and the
    operating mode they were reported in."""

    township: str | None = None
    village: str | None = None
    grid: str | None = None
    platform: str | None = None
    unit: str | None = None
    person: int | None = None
    category: str | None = None
    mode: str = "all"

    def where(self) -> tuple[list[str], dict]:
        """SQL conditions on f (and u) and their parameters."""
        if self.mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}", field="mode")
        clauses, params = [], {}
        for name, column in (
            ("township", "f.township_code"),
            ("village", "f.village_code"),
            ("grid", "f.grid_code"),
            ("platform", "f.platform_code"),
            ("unit", "u.code"),
            ("person", "f.reporter_id"),
            ("category", "left(f.category_code, 2)"),
        ):
            value = getattr(self, name)
            if value is not None and value != "":
                clauses.append(f"{column} = :scope_{name}")
                params[f"scope_{name}"] = value
        if self.mode != "all":
            clauses.append("f.emergency" if self.mode == "emergency" else "NOT f.emergency")
        return clauses, params


@dataclass
class Figure:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    previous: float | None = None
    last_year: float | None = None


@dataclass
class Group:
    code: str
    name: str
    figures: dict[str, Figure] = field(default_factory=dict)


@dataclass
class IndicatorTable:
    period: Period
    as_of: datetime
    by: str
    scope: Scope
    groups: list[Group]
    total: Group
    compared: bool = False

    def by_code(self, code: str) -> Group | None:
        return next((g for g in self.groups if g.code == code), None)


def _check_by(by: str) -> None:
    if by not in GROUPS:
        raise InvalidInput(f"by must be one of {', '.join(GROUPS)}; got {by!r}", field="by")


def effective_scope(actor: Actor, scope: Scope) -> Scope:
    """The scope limited to what the actor may see (one policy: a township sees its own)."""
    own = policy.assessment_township(actor)
    if own is None:
        return scope
    if scope.township not in (None, "", own):
        policy.require_in_scope(actor, scope.township)
    return replace(scope, township=own)


def _needs_unit(by: str, scope: Scope) -> bool:
    return by == "unit" or bool(scope.unit)


def _counts(
    session: Session, by: str, scope: Scope, start: datetime, t: datetime
) -> tuple[dict[str, dict], dict]:
    """({group: counts}, the whole scope's counts) for the fact rows of the period: each set's
    count, and per stage (sum, count, median) of its working hours.

    Two passes: the counts and sums in one GROUP BY (a parallel hash aggregate; the whole
    scope's are their sums), the medians in another over narrow rows (ordered aggregates
    cannot run in parallel workers nor be summed: GROUPING SETS give the scope's own)."""
    clauses, params = scope.where()
    params = {**params, "start": start, "t": t}
    join = "LEFT JOIN unit u ON u.id = f.lead_unit_id" if _needs_unit(by, scope) else ""
    where = " AND ".join([f"({PERIOD_ROWS})", *clauses])
    if t - start < timedelta(days=100):
        # Compiling the many FILTER expressions (~0.1 s) pays off over a year, not a month.
        session.execute(text("SET LOCAL jit = off"))
    selects = [f"count(*) FILTER (WHERE {s.sql})" for s in SETS.values()]
    for column, done in STAGES.values():
        selects.append(f"sum(CAST({column} AS float8)) FILTER (WHERE {SETS[done].sql})")
        selects.append(f"count({column}) FILTER (WHERE {SETS[done].sql})")
    sql = (
        f"SELECT {GROUPS[by]} AS g, {', '.join(selects)} FROM indicator_event f {join} "
        f"WHERE {where} GROUP BY 1"
    )
    groups: dict[str, dict] = {}
    total: dict = {key: 0 for key in SETS} | {f"{stage}_sum": 0.0 for stage in STAGES}
    total |= {f"{stage}_n": 0 for stage in STAGES}
    for row in session.execute(text(sql), params):
        values = list(row[1:])
        counts = dict(zip(SETS, values[: len(SETS)], strict=True))
        rest = values[len(SETS) :]
        for i, stage in enumerate(STAGES):
            counts[f"{stage}_sum"], counts[f"{stage}_n"] = rest[2 * i] or 0.0, rest[2 * i + 1]
        for key, value in counts.items():
            total[key] += value
        groups[row[0] or ""] = counts
    values = ", ".join(
        f"CASE WHEN {SETS[done].sql} THEN {column} END AS v_{stage}"
        for stage, (column, done) in STAGES.items()
    )
    medians = ", ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY v_{stage})" for stage in STAGES
    )
    session.execute(text("SET LOCAL work_mem = '128MB'"))  # the sort stays in memory
    county = by == "county"  # one group, the whole scope: no grouping sets needed
    sql = (
        f"SELECT g, {'1' if county else 'GROUPING(g)'}, {medians} FROM (SELECT {GROUPS[by]} "
        f"AS g, {values} FROM indicator_event f {join} WHERE {where}) x "
        f"GROUP BY {'g' if county else 'GROUPING SETS ((g), ())'}"
    )
    for g, is_total, *found in session.execute(text(sql), params):
        targets = [total] if is_total else []
        if county or not is_total:
            targets.append(groups.setdefault(g or "", {}))
        for target in targets:
            for stage, median in zip(STAGES, found, strict=True):
                target[f"{stage}_median"] = median
    _supervision_counts(session, by, scope, start, t, groups)
    for key in SUPERVISION_SETS:
        total[key] = sum(c.get(key, 0) for c in groups.values())
    return groups, total


def _supervision_counts(
    session: Session, by: str, scope: Scope, start: datetime, t: datetime, out: dict[str, dict]
) -> None:
    """督办数 and 督办未按时回复数 per group (by unit: the unit the order was addressed to)."""
    clauses, params = scope.where()
    sql = f"""
        SELECT {GROUPS[by]} AS g, count(*),
               count(*) FILTER (WHERE s.reply_due < :t
                                AND (s.answered_at IS NULL OR s.answered_at > s.reply_due))
        FROM supervision s JOIN indicator_event f ON f.event_id = s.event_id
        LEFT JOIN unit u ON u.id = s.unit_id
        WHERE {" AND ".join(["s.kind = 'order'", "s.issued_at >= :start", "s.issued_at < :t",
                             *clauses])}
        GROUP BY 1"""  # fmt: skip
    for g, issued, unanswered in session.execute(text(sql), {**params, "start": start, "t": t}):
        counts = out.setdefault(g or "", {})
        counts["supervision"], counts["supervision_unanswered"] = issued, unanswered


def _grid_workers(session: Session, by: str, scope: Scope) -> dict[str, int]:
    """Active grid-worker accounts per group (their unit's grid, village, township)."""
    expr = {
        "county": "''",
        "township": "u.township_code",
        "village": "CASE WHEN u.kind = 'village' THEN u.code ELSE g.parent_code END",
        "grid": "CASE WHEN u.kind = 'grid' THEN u.code END",
        "unit": "u.code",
        "person": "CAST(a.id AS text)",
    }.get(by)
    if expr is None:
        return {}
    clauses, params = ["a.active", "a.role = 'grid_worker'"], {}
    for name, column in (("township", "u.township_code"), ("unit", "u.code")):
        value = getattr(scope, name)
        if value:
            clauses.append(f"{column} = :{name}")
            params[name] = value
    if scope.grid:
        clauses.append("u.code = :grid")
        params["grid"] = scope.grid
    if scope.village:
        clauses.append("(u.code = :village OR g.parent_code = :village)")
        params["village"] = scope.village
    if scope.person:
        clauses.append("a.id = :person")
        params["person"] = scope.person
    sql = f"""
        SELECT {expr}, count(*) FROM user_account a JOIN unit u ON u.id = a.unit_id
        LEFT JOIN area g ON g.code = u.code AND g.level = 'grid'
             AND g.set_id = (SELECT id FROM boundary_set WHERE is_active)
        WHERE {" AND ".join(clauses)} GROUP BY 1"""
    return {g or "": n for g, n in session.execute(text(sql), params)}


def _figure_of(indicator: Indicator):
    """A function from a group's counts to the indicator's Figure (made once per indicator)."""
    kind, num, den = indicator.kind, indicator.numerator, indicator.denominator or ""
    if kind == "count":
        return lambda counts, workers: Figure(float(counts.get(num) or 0))
    if kind == "mean":
        total, n = f"{num}_sum", f"{num}_n"
        return lambda counts, workers: Figure(
            round(counts[total] / counts[n], 2) if counts.get(n) else None
        )
    if kind == "median":
        key = f"{num}_median"
        return lambda counts, workers: Figure(
            None if counts.get(key) is None else round(float(counts[key]), 2)
        )
    if kind == "per_worker":
        return lambda counts, workers: Figure(
            round((counts.get(num) or 0) / workers, 2) if workers else None,
            float(counts.get(num) or 0),
            workers or None,
        )

    def ratio(counts: dict, workers: int | None) -> Figure:
        n, d = float(counts.get(num) or 0), float(counts.get(den) or 0)
        return Figure(round(100.0 * n / d, 2) if d else None, n, d)

    return ratio


_FIGURES = [(i.key, _figure_of(i)) for i in INDICATORS]


def _figures(counts: dict, workers: int | None) -> dict[str, Figure]:
    return {key: make(counts, workers) for key, make in _FIGURES}


def _names(session: Session, by: str, codes: list[str]) -> dict[str, str]:
    """Display names of the groups (areas from the active set first, then any set)."""
    codes = [c for c in codes if c]
    if not codes or by == "county":
        return {}
    queries = {
        "township": "SELECT DISTINCT ON (code) code, name FROM area WHERE code = ANY(:c) "
        "ORDER BY code, (set_id = (SELECT id FROM boundary_set WHERE is_active)) DESC, "
        "set_id DESC",
        "platform": "SELECT code, name FROM platform WHERE code = ANY(:c)",
        "unit": "SELECT code, name FROM unit WHERE code = ANY(:c)",
        "person": "SELECT CAST(id AS text), display_name FROM user_account "
        "WHERE CAST(id AS text) = ANY(:c)",
        "category": "SELECT code, name FROM category WHERE code = ANY(:c)",
    }
    sql = queries.get(by, queries["township"])
    return dict(session.execute(text(sql), {"c": codes}).all())


def compute(
    *,
    session: Session,
    actor: Actor,
    period: Period,
    by: str,
    scope: Scope,
    now: datetime,
    compare: bool = False,
) -> IndicatorTable:
    """Every indicator for the period, per group `by`, within the actor's scope."""
    _check_by(by)
    scope = effective_scope(actor, scope)
    facts.refresh(session)
    table = _table(session, period, by, scope, now)
    if compare:
        before = _table(session, period.previous(), by, scope, now)
        year = _table(session, period.last_year(), by, scope, now)
        for group in [*table.groups, table.total]:
            old = before.by_code(group.code) if group is not table.total else before.total
            past = year.by_code(group.code) if group is not table.total else year.total
            for key, figure in group.figures.items():
                figure.previous = old.figures[key].value if old else None
                figure.last_year = past.figures[key].value if past else None
        table.compared = True
    return table


def _table(
    session: Session, period: Period, by: str, scope: Scope, now: datetime
) -> IndicatorTable:
    t = period.as_of(now)
    counts, total_counts = _counts(session, by, scope, period.start, t)
    workers = _grid_workers(session, by, scope)
    names = _names(session, by, list(counts))
    groups = [
        Group(code, names.get(code, code or "（未定位）"), _figures(c, workers.get(code)))
        for code, c in sorted(counts.items())
    ]
    total_workers = _grid_workers(session, "county", scope).get("")
    total = Group("", "合计", _figures(total_counts, total_workers))
    return IndicatorTable(period=period, as_of=t, by=by, scope=scope, groups=groups, total=total)


def events_behind(
    *,
    session: Session,
    actor: Actor,
    period: Period,
    set_key: str,
    by: str,
    code: str,
    scope: Scope,
    now: datetime,
    limit: int = 200,
    offset: int = 0,
) -> tuple[int, list[EventOut]]:
    """The events a figure counts (a set of the period, one group): (how many, a page of
    them through the one mapper, seen through the one visibility rule)."""
    _check_by(by)
    scope = effective_scope(actor, scope)
    facts.refresh(session)
    clauses, params = scope.where()
    join = "LEFT JOIN unit u ON u.id = f.lead_unit_id" if _needs_unit(by, scope) else ""
    if by != "county":
        clauses.append(f"{GROUPS[by]} = :group_code")
        params["group_code"] = code
    if set_key in SETS:
        sql = (
            f"SELECT f.event_id FROM indicator_event f {join} WHERE "
            + " AND ".join([f"({PERIOD_ROWS})", SETS[set_key].sql, *clauses])
            + " ORDER BY f.event_id"
        )
    elif set_key in SUPERVISION_SETS:
        extra = (
            "AND s.reply_due < :t AND (s.answered_at IS NULL OR s.answered_at > s.reply_due)"
            if set_key == "supervision_unanswered"
            else ""
        )
        sql = (
            "SELECT DISTINCT f.event_id FROM supervision s JOIN indicator_event f "
            "ON f.event_id = s.event_id LEFT JOIN unit u ON u.id = s.unit_id WHERE "
            + " AND ".join(["s.kind = 'order'", "s.issued_at >= :start", "s.issued_at < :t"])
            + f" {extra} "
            + "".join(f" AND {c}" for c in clauses)
            + " ORDER BY f.event_id"
        )
    else:
        known = ", ".join([*SETS, *SUPERVISION_SETS])
        raise InvalidInput(f"set must be one of {known}; got {set_key!r}", field="set")
    t = period.as_of(now)
    ids = list(session.scalars(text(sql), {**params, "start": period.start, "t": t}))
    return len(ids), events_by_ids(session, actor, ids[offset : offset + limit])


def events_by_ids(session: Session, actor: Actor, ids: list[int]) -> list[EventOut]:
    """These events, as the actor may see them, through the one mapper, in id order."""
    if not ids:
        return []
    events = list(
        session.scalars(
            select(Event).where(Event.id.in_(ids), visible_clause(actor)).order_by(Event.id)
        )
    )
    return to_out(session, events, actor, with_tasks=False)


def indicator(key: str) -> Indicator:
    """An indicator by key; InvalidInput listing them otherwise."""
    if key not in BY_KEY:
        raise InvalidInput(
            f"indicator must be one of {', '.join(BY_KEY)}; got {key!r}", field="indicator"
        )
    return BY_KEY[key]
