"""CQL2 filters (OGC API - Features Part 3) as SQLAlchemy clauses with bound parameters.

pygeofilter parses CQL2-text and CQL2-JSON into its AST; this module walks that AST and builds
the WHERE clause over the queryables a collection publishes, never by string building: every
literal, geometry included, is a bound parameter. What the server cannot do is refused with a
`FilterError` (400) that names the part of the filter; what would be too expensive (a geometry
of more than `MAX_VERTICES` vertices, a filter longer than `MAX_CHARS`) is refused before it is
parsed, so it never reaches the database.

pygeofilter 0.4.0's CQL2-text grammar lacks the standard's function form of the temporal
predicates (`T_AFTER(created_at, TIMESTAMP('...'))`, geopython/pygeofilter#120) and open-ended
intervals (`INTERVAL('2026-01-01T00:00:00Z', '..')`); `_GRAMMAR_EXTENSION` adds both, and the
distance predicate `S_DWITHIN(geometry, POINT(lon lat), distance[, meters|kilometers])`, to its
grammar without touching the rest.

Temporal predicates follow Allen's interval relations (CQL2 6.10): an instant is an interval
whose start and end are the same, `..` is an unbounded end, and a DATE is the whole day in the
server's time zone (api.clock).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from pygeofilter import ast, values
from sqlalchemy import ColumnElement, and_, false, func, literal, not_, or_, true

from api import clock
from api.errors import DomainError
from gis.crs import transform_geometries_axes
from gis.models import STORAGE_SRID

MAX_VERTICES = 10_000
"""The most vertices the geometries of one filter may have together."""
MAX_CHARS = 400_000
"""The longest filter accepted (a 10,000-vertex polygon in WKT is about 250,000 characters)."""
MAX_PREDICATES = 500
"""The most predicates and IN-list values one filter may have."""

STRING, INTEGER, NUMBER, BOOLEAN, TIMESTAMP, GEOMETRY = (
    "string",
    "integer",
    "number",
    "boolean",
    "timestamp",
    "geometry",
)
_DATE, _INTERVAL, _NULL = "date", "interval", "null"
_NUMERIC = {INTEGER, NUMBER}


class FilterError(DomainError):
    """A filter the server cannot parse or do: 400, naming the part and why."""

    status_code = 400
    code = "invalid_filter"


@dataclass(frozen=True)
class Queryable:
    """A property a filter may use: its SQL expression and its type (one of STRING, INTEGER,
    NUMBER, BOOLEAN, TIMESTAMP, GEOMETRY); `enum` lists the values a string may take."""

    name: str
    column: Any
    type: str
    title: str = ""
    enum: tuple[str, ...] | None = None
    geometry_type: str | None = None


# --- parsing ------------------------------------------------------------------------------------

_GRAMMAR_EXTENSION = r"""
%extend predicate: TEMPORAL_FUNC "(" expression "," expression ")" -> temporal_function
                 | DWITHIN_FUNC "(" expression "," expression "," full_number ["," DISTANCE_UNIT] ")" -> dwithin_function
%extend interval: "INTERVAL"i "(" interval_bound "," interval_bound ")"
interval_bound: "'" DATETIME "'" -> bound
              | "'" DATE "'" -> bound
              | OPEN_END -> open_bound
OPEN_END: "'..'"
TEMPORAL_FUNC.3: /T_(BEFORE|AFTER|MEETS|METBY|OVERLAPS|OVERLAPPEDBY|STARTS|STARTEDBY|DURING|CONTAINS|FINISHES|FINISHEDBY|EQUALS|DISJOINT|INTERSECTS)(?=\s*\()/i
DWITHIN_FUNC.3: /S_DWITHIN|DWITHIN/i
DISTANCE_UNIT: /'?(meters|metres|m|kilometers|kilometres|km)'?/i
"""  # noqa: E501 - grammar lines

TEMPORAL_FUNCTIONS = (
    "t_after",
    "t_before",
    "t_contains",
    "t_disjoint",
    "t_during",
    "t_equals",
    "t_finishedby",
    "t_finishes",
    "t_intersects",
    "t_meets",
    "t_metby",
    "t_overlappedby",
    "t_overlaps",
    "t_startedby",
    "t_starts",
)
# pygeofilter's infix form (`created_at T_AFTER TIMESTAMP(...)`) gives these AST classes.
_TEMPORAL_CLASSES: dict[type, str] = {
    ast.TimeAfter: "t_after",
    ast.TimeBefore: "t_before",
    ast.TimeContains: "t_contains",
    ast.TimeDisjoint: "t_disjoint",
    ast.TimeDuring: "t_during",
    ast.TimeEquals: "t_equals",
    ast.TimeEndedBy: "t_finishedby",
    ast.TimeEnds: "t_finishes",
    ast.TimeMeets: "t_meets",
    ast.TimeMetBy: "t_metby",
    ast.TimeOverlappedBy: "t_overlappedby",
    ast.TimeOverlaps: "t_overlaps",
    ast.TimeBegunBy: "t_startedby",
    ast.TimeBegins: "t_starts",
}
_SPATIAL_FUNCTIONS = {
    "INTERSECTS": func.ST_Intersects,
    "DISJOINT": func.ST_Disjoint,
    "CONTAINS": func.ST_Contains,
    "WITHIN": func.ST_Within,
    "TOUCHES": func.ST_Touches,
    "CROSSES": func.ST_Crosses,
    "OVERLAPS": func.ST_Overlaps,
    "EQUALS": func.ST_Equals,
}
_NUMBER_TOKEN = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


@lru_cache(maxsize=1)
def _text_parser():
    from lark import Lark, v_args
    from pygeofilter.parsers.cql2_text import parser as cql2_text

    @v_args(meta=False, inline=True)
    class Transformer(cql2_text.CQLTransformer):
        def temporal_function(self, op, lhs, rhs):
            return ast.Function(str(op).lower(), [lhs, rhs])

        def binary_temporal_predicate(self, lhs, op, rhs):
            return ast.Function(str(op).lower(), [lhs, rhs])

        def dwithin_function(self, op, lhs, rhs, distance, unit=None):
            unit = str(unit).strip("'").lower() if unit is not None else "meters"
            return ast.Function("s_dwithin", [lhs, rhs, distance, unit])

        def bound(self, value):
            return value

        def open_bound(self, _token):
            return None

    grammar = Path(cql2_text.__file__).with_name("grammar.lark").read_text()
    return Lark(
        grammar + _GRAMMAR_EXTENSION,
        parser="lalr",
        maybe_placeholders=False,
        transformer=Transformer(),
        import_paths=[os.path.dirname(os.path.dirname(cql2_text.__file__))],
    )


def _json_functions(node: Any) -> Any:
    """CQL2-JSON with the temporal and distance operators pygeofilter does not know turned into
    function nodes (the same ones the text parser makes)."""
    if isinstance(node, list):
        return [_json_functions(n) for n in node]
    if not isinstance(node, dict):
        return node
    op = node.get("op")
    if isinstance(op, str) and (op.lower() in TEMPORAL_FUNCTIONS or op.lower() in _DWITHIN_OPS):
        name = "s_dwithin" if op.lower() in _DWITHIN_OPS else op.lower()
        return {"function": {"name": name, "arguments": _json_functions(node.get("args", []))}}
    return {key: _json_functions(value) for key, value in node.items()}


_DWITHIN_OPS = ("s_dwithin", "dwithin")


def parse_filter(text: str, lang: str | None = None) -> ast.Node:
    """The AST of a CQL2 filter; `lang` cql2-text (the default) or cql2-json. FilterError for a
    filter that is too long, too large, or does not parse."""
    if lang not in (None, "cql2-text", "cql2-json"):
        raise FilterError(
            f"filter-lang must be cql2-text or cql2-json; got {lang!r}", field="filter-lang"
        )
    if not text or not text.strip():
        raise FilterError("filter is empty", field="filter")
    if len(text) > MAX_CHARS:
        raise FilterError(
            f"filter has {len(text):,} characters; at most {MAX_CHARS:,} are accepted "
            "(simplify the geometry, or filter by bbox first)",
            field="filter",
        )
    numbers = sum(1 for _ in _NUMBER_TOKEN.finditer(text))
    if numbers > 2 * MAX_VERTICES + MAX_PREDICATES:
        raise FilterError(
            f"filter has about {numbers // 2:,} coordinate pairs; its geometries may have at "
            f"most {MAX_VERTICES:,} vertices together (simplify the polygon first)",
            field="filter",
        )
    if lang == "cql2-json" or (lang is None and text.lstrip().startswith("{")):
        from pygeofilter.parsers.cql2_json import parse as parse_json

        try:
            return parse_json(_json_functions(json.loads(text)))
        except Exception as exc:  # noqa: BLE001 - any parser failure is the filter's fault
            raise FilterError(
                f"filter is not valid CQL2-JSON: {_first_line(exc)}", field="filter", part="syntax"
            ) from None
    try:
        return _text_parser().parse(text)
    except Exception as exc:  # noqa: BLE001 - lark's errors are many; all mean a bad filter
        raise FilterError(
            f"filter is not valid CQL2-text: {_first_line(exc)}", field="filter", part="syntax"
        ) from None


def _first_line(exc: Exception) -> str:
    message = str(exc).strip().splitlines()
    return (message[0] if message else type(exc).__name__)[:300]


# --- evaluation ---------------------------------------------------------------------------------

_NEG, _POS = "-inf", "+inf"  # an open start and an open end of an interval


@dataclass
class _Value:
    """An operand: a SQL expression (a column) or a Python literal, with its CQL2 type."""

    sql: Any
    kind: str
    literal: bool
    label: str

    def expression(self) -> Any:
        return literal(self.sql) if self.literal else self.sql


class _Evaluator:
    def __init__(self, queryables: Mapping[str, Queryable], crs: int | None) -> None:
        self.queryables = queryables
        self.crs = crs
        self.vertices = 0
        self.predicates = 0

    # -- dispatch --

    def predicate(self, node: Any) -> ColumnElement[bool]:
        self.predicates += 1
        if self.predicates > MAX_PREDICATES:
            raise FilterError(
                f"filter has more than {MAX_PREDICATES} predicates", field="filter", part="size"
            )
        if isinstance(node, ast.And):
            return and_(self.predicate(node.lhs), self.predicate(node.rhs))
        if isinstance(node, ast.Or):
            return or_(self.predicate(node.lhs), self.predicate(node.rhs))
        if isinstance(node, ast.Not):
            return not_(self.predicate(node.sub_node))
        if isinstance(node, ast.Include):
            return false() if node.not_ else true()
        if isinstance(node, ast.Comparison):
            return self.comparison(node.op.value, self.value(node.lhs), self.value(node.rhs))
        if isinstance(node, ast.Between):
            return self.between(node)
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.In):
            return self.in_(node)
        if isinstance(node, ast.IsNull):
            lhs = self.value(node.lhs)
            clause = lhs.expression().is_(None)
            return not_(clause) if node.not_ else clause
        if isinstance(node, ast.TemporalPredicate) and type(node) in _TEMPORAL_CLASSES:
            return self.temporal(_TEMPORAL_CLASSES[type(node)], [node.lhs, node.rhs])
        if isinstance(node, ast.SpatialComparisonPredicate):
            return self.spatial(node.op.name, self.value(node.lhs), self.value(node.rhs))
        if isinstance(node, ast.BBox):
            box = shapely.box(node.minx, node.miny, node.maxx, node.maxy)
            return self.spatial("INTERSECTS", self.value(node.lhs), self.geometry(box, "BBOX"))
        if isinstance(node, ast.Function):
            name = node.name.lower()
            if name in TEMPORAL_FUNCTIONS:
                return self.temporal(name, node.arguments)
            if name == "s_dwithin":
                return self.dwithin(node.arguments)
        raise FilterError(
            f"{_describe(node)} is not supported here; supported: comparisons, LIKE, IN, "
            "BETWEEN, IS NULL, CASEI, arithmetic, T_* temporal functions, S_INTERSECTS, "
            "S_WITHIN, S_CONTAINS, S_DISJOINT, S_EQUALS, S_TOUCHES, S_CROSSES, S_OVERLAPS, "
            "S_DWITHIN",
            field="filter",
            part=_describe(node),
        )

    def value(self, node: Any) -> _Value:
        if isinstance(node, ast.Attribute):
            return self.attribute(node.name)
        if isinstance(node, bool):
            return _Value(node, BOOLEAN, True, repr(node).lower())
        if isinstance(node, int):
            return _Value(node, INTEGER, True, str(node))
        if isinstance(node, float):
            if not math.isfinite(node):
                raise FilterError(f"{node} is not a finite number", field="filter")
            return _Value(node, NUMBER, True, str(node))
        if isinstance(node, str):
            return _Value(node, STRING, True, repr(node))
        if isinstance(node, datetime):
            return _Value(clock.aware(node), TIMESTAMP, True, f"TIMESTAMP('{node.isoformat()}')")
        if isinstance(node, date):
            return _Value(node, _DATE, True, f"DATE('{node.isoformat()}')")
        if isinstance(node, values.Geometry):
            return self.geometry(_shape(node.geometry), node.geometry.get("type", "geometry"))
        if isinstance(node, values.Envelope):
            return self.geometry(shapely.box(node.x1, node.y1, node.x2, node.y2), "BBOX")
        if isinstance(node, values.Interval):
            return _Value((node.start, node.end), _INTERVAL, True, "INTERVAL")
        if node is None:
            return _Value(None, _NULL, True, "NULL")
        if isinstance(node, ast.Arithmetic):
            return self.arithmetic(node)
        if isinstance(node, ast.Function):
            return self.function(node)
        raise FilterError(
            f"{_describe(node)} cannot be used as a value here",
            field="filter",
            part=_describe(node),
        )

    # -- operands --

    def attribute(self, name: str) -> _Value:
        queryable = self.queryables.get(name)
        if queryable is None:
            known = ", ".join(self.queryables)
            raise FilterError(
                f"{name!r} is not a queryable of this collection; its queryables: {known}",
                field="filter",
                part=name,
            )
        return _Value(queryable.column, queryable.type, False, name)

    def geometry(self, shape: shapely.Geometry, label: str) -> _Value:
        if shape is None or shape.is_empty:
            raise FilterError(f"the {label} in the filter is empty", field="filter", part=label)
        self.vertices += int(shapely.get_num_coordinates(shape))
        if self.vertices > MAX_VERTICES:
            raise FilterError(
                f"the filter's geometries have more than {MAX_VERTICES:,} vertices; simplify "
                "them first",
                field="filter",
                part=label,
            )
        shape = transform_geometries_axes(
            np.array([shape], dtype=object), self.crs, to_wgs84_from=True
        )[0]
        if not bool(shapely.is_valid(shape)):
            shape = shapely.make_valid(shape)
        return _Value(
            func.ST_GeomFromText(literal(shape.wkt), STORAGE_SRID), GEOMETRY, False, label.upper()
        )

    def arithmetic(self, node: ast.Arithmetic) -> _Value:
        lhs, rhs = self.value(node.lhs), self.value(node.rhs)
        for side in (lhs, rhs):
            if side.kind not in _NUMERIC:
                raise FilterError(
                    f"{side.label} is a {side.kind}; {node.op.value} takes numbers",
                    field="filter",
                    part=node.op.value,
                )
        operations: dict[str, Callable[[Any, Any], Any]] = {
            "+": lambda a, b: a + b,
            "-": lambda a, b: a - b,
            "*": lambda a, b: a * b,
            "/": lambda a, b: a / b,
        }
        kind = INTEGER if lhs.kind == rhs.kind == INTEGER and node.op.value != "/" else NUMBER
        sql = operations[node.op.value](lhs.expression(), rhs.expression())
        return _Value(sql, kind, False, f"({lhs.label} {node.op.value} {rhs.label})")

    def function(self, node: ast.Function) -> _Value:
        name = node.name.lower()
        if name in ("lower", "casei") and len(node.arguments) == 1:
            inner = self.value(node.arguments[0])
            if inner.kind != STRING:
                raise FilterError(
                    f"CASEI takes a string; {inner.label} is a {inner.kind}",
                    field="filter",
                    part="CASEI",
                )
            if inner.literal:
                return _Value(inner.sql.lower(), STRING, True, inner.label)
            return _Value(func.lower(inner.sql), STRING, False, f"CASEI({inner.label})")
        if name == "bbox" and len(node.arguments) in (4, 6):
            numbers = [float(v) for v in node.arguments]
            x0, y0, x1, y1 = (
                numbers if len(numbers) == 4 else (numbers[0], numbers[1], numbers[3], numbers[4])
            )
            return self.geometry(shapely.box(x0, y0, x1, y1), "BBOX")
        raise FilterError(
            f"function {node.name.upper()} is not supported; supported functions: CASEI, "
            "S_DWITHIN, and the T_* temporal functions",
            field="filter",
            part=node.name.upper(),
        )

    # -- predicates --

    def comparison(self, op: str, lhs: _Value, rhs: _Value) -> ColumnElement[bool]:
        lhs, rhs = self._comparable(lhs, rhs, op)
        a, b = lhs.expression(), rhs.expression()
        operations = {
            "=": a == b,
            "<>": a != b,
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
        }
        return operations[op]

    def between(self, node: ast.Between) -> ColumnElement[bool]:
        lhs = self.value(node.lhs)
        low = self._comparable(lhs, self.value(node.low), "BETWEEN")
        high = self._comparable(lhs, self.value(node.high), "BETWEEN")
        clause = and_(
            low[0].expression() >= low[1].expression(),
            high[0].expression() <= high[1].expression(),
        )
        return not_(clause) if node.not_ else clause

    def like(self, node: ast.Like) -> ColumnElement[bool]:
        lhs = self.value(node.lhs)
        pattern = node.pattern
        if isinstance(pattern, ast.Function) and pattern.name.lower() in ("lower", "casei"):
            pattern = self.function(pattern).sql
        if lhs.kind != STRING or not isinstance(pattern, str):
            raise FilterError(
                f"LIKE compares a string with a pattern; {lhs.label} is a {lhs.kind}",
                field="filter",
                part="LIKE",
            )
        column = lhs.expression()
        clause = column.ilike(pattern) if node.nocase else column.like(pattern)
        return not_(clause) if node.not_ else clause

    def in_(self, node: ast.In) -> ColumnElement[bool]:
        lhs = self.value(node.lhs)
        options = list(node.sub_nodes)
        self.predicates += len(options)
        if self.predicates > MAX_PREDICATES:
            raise FilterError(
                f"IN lists may hold at most {MAX_PREDICATES} values together",
                field="filter",
                part="IN",
            )
        if not options:
            raise FilterError("IN needs at least one value", field="filter", part="IN")
        column, items = None, []
        for option in options:
            value = self.value(option)
            if not value.literal:
                raise FilterError("IN takes a list of literals", field="filter", part="IN")
            checked, value = self._comparable(lhs, value, "IN")
            column = checked.expression()
            items.append(value.sql)
        clause = column.in_(items)
        return not_(clause) if node.not_ else clause

    def _comparable(self, lhs: _Value, rhs: _Value, op: str) -> tuple[_Value, _Value]:
        """The two operands made comparable (a DATE against a timestamp compares the day in the
        server's zone); FilterError when their types cannot be compared."""
        kinds = {lhs.kind, rhs.kind}
        if _NULL in kinds:
            raise FilterError(
                f"{op} cannot compare with NULL; use IS NULL", field="filter", part=op
            )
        if kinds == {TIMESTAMP, _DATE}:
            return tuple(  # type: ignore[return-value]
                _Value(_local_day(v.sql), _DATE, False, v.label) if v.kind == TIMESTAMP else v
                for v in (lhs, rhs)
            )
        if lhs.kind == rhs.kind or kinds <= _NUMERIC:
            for side, other in ((lhs, rhs), (rhs, lhs)):
                self._check_enum(side, other, op)
            return lhs, rhs
        raise FilterError(
            f"{op} cannot compare {lhs.label} ({lhs.kind}) with {rhs.label} ({rhs.kind})",
            field="filter",
            part=op,
        )

    def _check_enum(self, side: _Value, other: _Value, op: str) -> None:
        if side.literal or not other.literal or op not in ("=", "<>", "IN"):
            return
        queryable = self.queryables.get(side.label)
        if queryable and queryable.enum and other.sql not in queryable.enum:
            raise FilterError(
                f"{side.label} has no value {other.sql!r}; its values: "
                + ", ".join(queryable.enum),
                field="filter",
                part=side.label,
            )

    def temporal(self, name: str, arguments: list) -> ColumnElement[bool]:
        if len(arguments) != 2:
            raise FilterError(f"{name.upper()} takes two arguments", field="filter", part=name)
        a, b = (self._period(self.value(arg), name) for arg in arguments)
        return _allen(name, a, b)

    def _period(self, value: _Value, name: str) -> tuple[Any, Any]:
        """(start, end) of an instant or an interval; open ends are _NEG and _POS."""
        if value.kind == TIMESTAMP:
            sql = value.expression()
            return sql, sql
        if value.kind == _DATE and value.literal:
            return _day_start(value.sql), _day_start(value.sql + timedelta(days=1)) - _TICK
        if value.kind == _INTERVAL:
            start, end = value.sql
            return (
                _NEG if start is None else _instant(start, end_of_day=False),
                _POS if end is None else _instant(end, end_of_day=True),
            )
        raise FilterError(
            f"{name.upper()} takes instants or intervals; {value.label} is a {value.kind}",
            field="filter",
            part=name.upper(),
        )

    def spatial(self, op: str, lhs: _Value, rhs: _Value) -> ColumnElement[bool]:
        for side in (lhs, rhs):
            if side.kind != GEOMETRY:
                raise FilterError(
                    f"S_{op} takes geometries; {side.label} is a {side.kind}",
                    field="filter",
                    part=f"S_{op}",
                )
        return _SPATIAL_FUNCTIONS[op](lhs.expression(), rhs.expression())

    def dwithin(self, arguments: list) -> ColumnElement[bool]:
        if len(arguments) not in (3, 4):
            raise FilterError(
                "S_DWITHIN takes a geometry property, a geometry and a distance in meters "
                "(optionally a unit: meters or kilometers)",
                field="filter",
                part="S_DWITHIN",
            )
        lhs, rhs = self.value(arguments[0]), self.value(arguments[1])
        distance = arguments[2]
        unit = str(arguments[3]).lower() if len(arguments) == 4 else "meters"
        if not isinstance(distance, int | float) or isinstance(distance, bool) or distance < 0:
            raise FilterError(
                f"the distance of S_DWITHIN must be a number >= 0; got {distance!r}",
                field="filter",
                part="S_DWITHIN",
            )
        if unit not in ("m", "meters", "metres", "km", "kilometers", "kilometres"):
            raise FilterError(
                f"S_DWITHIN's unit must be meters or kilometers; got {unit!r}",
                field="filter",
                part="S_DWITHIN",
            )
        meters = float(distance) * (1000.0 if unit.startswith("k") else 1.0)
        if meters > 100_000:
            raise FilterError("S_DWITHIN covers at most 100 km", field="filter", part="S_DWITHIN")
        literal_side = rhs if not rhs.literal and rhs.kind == GEOMETRY else None
        if lhs.kind != GEOMETRY or rhs.kind != GEOMETRY or literal_side is None:
            raise FilterError(
                "S_DWITHIN compares the geometry property with a geometry given in the filter",
                field="filter",
                part="S_DWITHIN",
            )
        # A bound in degrees first (the spatial index), then the exact distance on the sphere.
        margin = meters / (110_000.0 * math.cos(math.radians(min(89.0, self._max_lat + 1.0))))
        a, b = lhs.expression(), rhs.expression()
        return and_(
            func.ST_DWithin(a, b, margin),
            func.ST_DWithin(func.geography(a), func.geography(b), meters),
        )

    _max_lat = 60.0  # the latitude used for the degree bound (China lies below 54°N)


_TICK = timedelta(microseconds=1)


def _shape(geometry: dict) -> shapely.Geometry:
    try:
        return shapely.geometry.shape(geometry)
    except Exception as exc:  # noqa: BLE001 - a malformed GeoJSON geometry in the filter
        raise FilterError(
            f"a geometry in the filter is not valid: {_first_line(exc)}", field="filter"
        ) from None


def _describe(node: Any) -> str:
    if isinstance(node, ast.Function):
        return node.name.upper()
    name = type(node).__name__
    return {
        "Relate": "S_RELATE",
        "Exists": "EXISTS",
        "ArrayEquals": "A_EQUALS",
        "ArrayContains": "A_CONTAINS",
        "ArrayContainedBy": "A_CONTAINEDBY",
        "ArrayOverlaps": "A_OVERLAPS",
    }.get(name, name)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=clock.zone())


def _instant(value: Any, *, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        return clock.aware(value)
    if isinstance(value, date):
        return _day_start(value + timedelta(days=1)) - _TICK if end_of_day else _day_start(value)
    raise FilterError(f"{value!r} is not an instant", field="filter", part="INTERVAL")


def _local_day(sql: Any) -> Any:
    return func.date(func.timezone(clock.zone().key, sql))


def _compare(a: Any, op: str, b: Any) -> Any:
    """a op b where either may be an open end: a Python bool when that decides it, else SQL."""
    if a in (_NEG, _POS) or b in (_NEG, _POS):
        rank = {_NEG: -1, _POS: 1}
        ra, rb = rank.get(a, 0), rank.get(b, 0)
        if ra == rb:  # both the same open end (or neither, which cannot happen here)
            return op in ("=", "<=", ">=")
        return {"<": ra < rb, "<=": ra < rb, ">": ra > rb, ">=": ra > rb, "=": False}[op]
    a_sql = literal(a) if isinstance(a, datetime) else a
    return {"<": a_sql < b, "<=": a_sql <= b, ">": a_sql > b, ">=": a_sql >= b, "=": a_sql == b}[op]


def _all(*parts: Any) -> Any:
    clauses = []
    for part in parts:
        if part is False:
            return false()
        if part is not True:
            clauses.append(part)
    return and_(*clauses) if clauses else true()


def _allen(name: str, a: tuple[Any, Any], b: tuple[Any, Any]) -> ColumnElement[bool]:
    """Allen's relation `name` between periods a and b (CQL2's temporal functions)."""
    (a0, a1), (b0, b1) = a, b
    relations: dict[str, Callable[[], Any]] = {
        "t_before": lambda: _all(_compare(a1, "<", b0)),
        "t_after": lambda: _all(_compare(a0, ">", b1)),
        "t_meets": lambda: _all(_compare(a1, "=", b0)),
        "t_metby": lambda: _all(_compare(a0, "=", b1)),
        "t_overlaps": lambda: _all(
            _compare(a0, "<", b0), _compare(a1, ">", b0), _compare(a1, "<", b1)
        ),
        "t_overlappedby": lambda: _all(
            _compare(a0, ">", b0), _compare(a0, "<", b1), _compare(a1, ">", b1)
        ),
        "t_starts": lambda: _all(_compare(a0, "=", b0), _compare(a1, "<", b1)),
        "t_startedby": lambda: _all(_compare(a0, "=", b0), _compare(a1, ">", b1)),
        "t_during": lambda: _all(_compare(a0, ">", b0), _compare(a1, "<", b1)),
        "t_contains": lambda: _all(_compare(a0, "<", b0), _compare(a1, ">", b1)),
        "t_finishes": lambda: _all(_compare(a0, ">", b0), _compare(a1, "=", b1)),
        "t_finishedby": lambda: _all(_compare(a0, "<", b0), _compare(a1, "=", b1)),
        "t_equals": lambda: _all(_compare(a0, "=", b0), _compare(a1, "=", b1)),
        "t_intersects": lambda: _all(_compare(a0, "<=", b1), _compare(a1, ">=", b0)),
    }
    if name == "t_disjoint":
        return not_(relations["t_intersects"]())
    return relations[name]()


def filter_clause(
    node: ast.Node, queryables: Mapping[str, Queryable], *, crs: int | None = None
) -> ColumnElement[bool]:
    """The WHERE clause of a parsed filter over `queryables`; geometries in the filter are in
    EPSG `crs` (None: CRS84, lon/lat). FilterError for what cannot be done."""
    return _Evaluator(queryables, crs).predicate(node)
