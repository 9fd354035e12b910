"""Events: what was reported, where, and the grid it was routed to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import STORAGE_SRID, Base


class EventSource(StrEnum):
    grid_worker = "grid_worker"  # 网格员上报
    citizen = "citizen"  # 群众上报
    hotline = "hotline"  # 12345 热线
    county = "county"  # 上级交办
    department = "department"  # 部门推送
    sensor = "sensor"  # 视频/感知设备


class EventStatus(StrEnum):
    reported = "reported"  # 待受理
    accepted = "accepted"  # 已受理
    assigned = "assigned"  # 已交办
    acknowledged = "acknowledged"  # 已签收
    in_progress = "in_progress"  # 处置中
    handled = "handled"  # 已处置
    closed = "closed"  # 已结案
    rejected = "rejected"  # 不予受理
    returned = "returned"  # 已退回
    escalated = "escalated"  # 已上报县级


class Urgency(StrEnum):
    normal = "normal"  # 一般
    urgent = "urgent"  # 紧急


class Event(Base):
    """One reported event, with the routing frozen on it when it was taken in."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"))
    urgency: Mapped[Urgency] = mapped_column(String(16), default=Urgency.normal,
                                             server_default=Urgency.normal.value)
    source: Mapped[EventSource] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[EventStatus] = mapped_column(String(16), default=EventStatus.reported,
                                                server_default=EventStatus.reported.value)

    location = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=False))
    input_lon: Mapped[float | None] = mapped_column(Double)
    input_lat: Mapped[float | None] = mapped_column(Double)
    input_crs: Mapped[str] = mapped_column(String(32), default="wgs84", server_default="wgs84")
    address: Mapped[str | None] = mapped_column(String(500))

    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))

    routing_set_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_set.id"))
    routing_method: Mapped[str] = mapped_column(String(16))
    grid_code: Mapped[str | None] = mapped_column(String(32))
    village_code: Mapped[str | None] = mapped_column(String(32))
    township_code: Mapped[str | None] = mapped_column(String(32))
    routing_distance_m: Mapped[float | None] = mapped_column(Double)
    routing_candidates: Mapped[list[str] | None] = mapped_column(ARRAY(String(32)))

    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __table_args__ = (
        Index("event_source_external_id_key", "source", "external_id", unique=True,
              postgresql_where=text("external_id IS NOT NULL")),
        Index("event_location_gist", "location", postgresql_using="gist"),
        Index("event_status_idx", "status"),
        Index("event_category_idx", "category_code"),
        Index("event_grid_idx", "grid_code"),
        Index("event_village_idx", "village_code"),
        Index("event_township_idx", "township_code"),
        Index("event_routing_method_idx", "routing_method"),
        Index("event_created_at_idx", "created_at"),
        Index("event_updated_at_idx", "updated_at"),
    )
