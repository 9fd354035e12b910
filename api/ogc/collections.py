"""The feature collections Shuxin serves over OGC API - Features, and what each may be queried by.

A collection is a view of a domain: areas of one level of a boundary set (the active one, or a
named one as `grids@<set>`), the events a user may see (all, or the open ones), and the points
of interest. Queryables are generated from the tables' own column definitions (their types and,
for enums, their values), so a filter, the `queryables` document and the JSON schema GDAL reads
all come from the one definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, DateTime, Double, Enum, Integer, Numeric, String, Text
from sqlalchemy.orm import InstrumentedAttribute

from api.events.models import OPEN_STATES, Event
from api.ogc.cql import BOOLEAN, GEOMETRY, INTEGER, NUMBER, STRING, TIMESTAMP, Queryable
from api.pois.models import Poi, PoiKind
from gis.levels import AreaLevel
from gis.models import Area

SET_SEPARATOR = "@"
"""`grids@<set name>`: the grids of a named boundary set (without it: of the active set)."""


class Kind(StrEnum):
    areas = "areas"
    events = "events"
    pois = "pois"


@dataclass(frozen=True)
class Collection:
    """One collection: its id and titles, what it is a view of, and its queryables."""

    id: str
    title: str
    description: str
    kind: Kind
    queryables: dict[str, Queryable]
    geometry_type: str
    level: AreaLevel | None = None
    set_name: str | None = None  # None: the active set
    open_only: bool = False
    temporal: str | None = None  # the queryable `datetime` filters on
    keywords: tuple[str, ...] = field(default_factory=tuple)

    @property
    def id_type(self) -> str:
        """The type of the features' ids (and of the keyset cursor)."""
        return STRING if self.kind is Kind.areas else INTEGER


def _type_of(column) -> tuple[str, tuple[str, ...] | None]:
    """A column's CQL2 type (and its values, for an enum), from its SQL type."""
    kind = column.type
    if isinstance(kind, Enum):
        return STRING, tuple(kind.enums)
    if isinstance(kind, Geometry):
        return GEOMETRY, None
    if isinstance(kind, DateTime):
        return TIMESTAMP, None
    if isinstance(kind, Boolean):
        return BOOLEAN, None
    if isinstance(kind, Integer):
        return INTEGER, None
    if isinstance(kind, Double | Numeric):
        return NUMBER, None
    if isinstance(kind, String | Text):
        return STRING, None
    raise TypeError(f"no CQL2 type for column {column} of type {kind}")


def _queryable(name: str, attribute: InstrumentedAttribute, title: str) -> Queryable:
    column = attribute.property.columns[0]
    kind, values = _type_of(column)
    geometry = column.type.geometry_type.lower() if kind == GEOMETRY else None
    return Queryable(name, attribute, kind, title, values, geometry)


# The event properties a filter may use: (property name, column, title). The property names
# are those of the features (api.ogc.service.event_properties); reporters are never queryable.
_EVENT_QUERYABLES = (
    ("id", Event.id, "事件编号"),
    ("title", Event.title, "标题"),
    ("description", Event.description, "描述"),
    ("category_code", Event.category_code, "类别代码"),
    ("urgency", Event.urgency, "紧急程度"),
    ("source", Event.source, "来源"),
    ("external_id", Event.external_id, "来源编号"),
    ("status", Event.status, "状态"),
    ("address", Event.address, "地址"),
    ("occurred_at", Event.occurred_at, "发生时间"),
    ("created_at", Event.created_at, "上报时间"),
    ("updated_at", Event.updated_at, "更新时间"),
    ("routing_method", Event.routing_method, "定位方式"),
    ("grid_code", Event.grid_code, "网格代码"),
    ("village_code", Event.village_code, "村/社区代码"),
    ("township_code", Event.township_code, "乡镇/街道代码"),
    ("routing_distance_m", Event.routing_distance_m, "距网格距离(米)"),
    ("handle_due", Event.handle_due, "处置期限"),
    ("at_risk", Event.at_risk, "临期"),
    ("overdue", Event.overdue, "超期"),
    ("closure_type", Event.closure_type, "结案类型"),
    ("reject_reason", Event.reject_reason, "不予受理原因"),
    ("duplicate_of", Event.duplicate_of_id, "重复于事件"),
    ("satisfaction", Event.satisfaction, "满意度"),
    ("rework_count", Event.rework_count, "返工次数"),
    ("return_count", Event.return_count, "退回次数"),
    ("reopen_count", Event.reopen_count, "重新打开次数"),
    ("extension_count", Event.extension_count, "延期次数"),
    ("geometry", Event.location, "位置"),
)
_AREA_QUERYABLES = (
    ("code", Area.code, "代码"),
    ("name", Area.name, "名称"),
    ("parent_code", Area.parent_code, "上级代码"),
    ("area_m2", Area.area_m2, "面积(平方米)"),
    ("geometry", Area.geom, "边界"),
)
_POI_QUERYABLES = (
    ("id", Poi.id, "编号"),
    ("kind", Poi.kind, "类型"),
    ("code", Poi.code, "代码"),
    ("name", Poi.name, "名称"),
    ("village_code", Poi.village_code, "村/社区代码"),
    ("township_code", Poi.township_code, "乡镇/街道代码"),
    ("updated_at", Poi.updated_at, "更新时间"),
    ("geometry", Poi.geom, "位置"),
)


def _queryables(rows) -> dict[str, Queryable]:
    return {name: _queryable(name, attribute, title) for name, attribute, title in rows}


EVENT_QUERYABLES = _queryables(_EVENT_QUERYABLES)
AREA_QUERYABLES = _queryables(_AREA_QUERYABLES)
POI_QUERYABLES = _queryables(_POI_QUERYABLES)

_LEVEL_IDS = {
    AreaLevel.county: "counties",
    AreaLevel.township: "townships",
    AreaLevel.village: "villages",
    AreaLevel.grid: "grids",
    AreaLevel.microgrid: "microgrids",
}
_LEVELS_BY_ID = {value: key for key, value in _LEVEL_IDS.items()}

EVENTS = Collection(
    id="events",
    title="事件",
    description="Events you may see (all states), with state, category, routing and deadlines; "
    "datetime filters on the report time (created_at).",
    kind=Kind.events,
    queryables=EVENT_QUERYABLES,
    geometry_type="Point",
    temporal="created_at",
    keywords=("事件", "events"),
)
OPEN_EVENTS = Collection(
    id="open-events",
    title="未结事件",
    description="Events you may see that are not yet closed or rejected ("
    + ", ".join(sorted(s.value for s in OPEN_STATES))
    + "); datetime filters on the report time (created_at).",
    kind=Kind.events,
    queryables=EVENT_QUERYABLES,
    geometry_type="Point",
    open_only=True,
    temporal="created_at",
    keywords=("事件", "events", "open"),
)
POIS = Collection(
    id="pois",
    title="隐患点与避灾安置点",
    description="Points the command room keeps on the map: "
    + ", ".join(f"{k.value} {k.label_zh}" for k in PoiKind)
    + ".",
    kind=Kind.pois,
    queryables=POI_QUERYABLES,
    geometry_type="Point",
    keywords=("poi", "hazard", "shelter"),
)
FIXED = {c.id: c for c in (EVENTS, OPEN_EVENTS, POIS)}


def area_collection(level: AreaLevel, set_name: str | None, set_title: str) -> Collection:
    """The areas of one level of a set (`set_name` None: the active set)."""
    suffix = f"{SET_SEPARATOR}{set_name}" if set_name else ""
    which = f"boundary set {set_name}" if set_name else "the active boundary set"
    return Collection(
        id=f"{_LEVEL_IDS[level]}{suffix}",
        title=f"{level.label_zh}（{set_title}）",
        description=f"The {level.value} areas of {which} ({set_title}), with code, name and "
        "parent code.",
        kind=Kind.areas,
        queryables=AREA_QUERYABLES,
        geometry_type="MultiPolygon",
        level=level,
        set_name=set_name,
        keywords=(level.label_zh, level.value),
    )


def parse_area_id(collection_id: str) -> tuple[AreaLevel, str | None] | None:
    """(level, set name or None) of an area collection id such as `grids` or `grids@boston`;
    None when the id names no area level."""
    base, _, set_name = collection_id.partition(SET_SEPARATOR)
    level = _LEVELS_BY_ID.get(base)
    if level is None:
        return None
    return level, set_name or None
