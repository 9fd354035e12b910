"""What an event is: its table, its states and the sets of states the rules speak of.

This is the one definition of an event. Intake, the bulk loaders, the screen's index and the API
mapper take their columns from `Event.__table__` (the columns marked `REPORTED` are what a
report carries); the states are the enums below, stored as their values; `OPEN_STATES`,
`HANDLING_STATES` and `OPEN_TASK_STATES` are the only definitions of those sets.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import STORAGE_SRID, Base, str_enum
from gis.router import RoutingMethod


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


OPEN_STATES: frozenset[EventStatus] = frozenset(
    {
        EventStatus.reported,
        EventStatus.accepted,
        EventStatus.assigned,
        EventStatus.acknowledged,
        EventStatus.in_progress,
        EventStatus.handled,
        EventStatus.returned,
        EventStatus.escalated,
    }
)
"""Not yet closed or rejected."""
HANDLING_STATES: frozenset[EventStatus] = frozenset(
    {EventStatus.assigned, EventStatus.acknowledged, EventStatus.in_progress}
)
"""A unit has the event in hand (assigned, acknowledged or being handled)."""


class Urgency(StrEnum):
    normal = "normal"  # 一般
    urgent = "urgent"  # 紧急


class ClosureType(StrEnum):
    normal = "normal"  # 正常结案
    late = "late"  # 超时结案
    special = "special"  # 特殊结案 (closed by the county)


class RejectReason(StrEnum):
    invalid = "invalid"  # 无效
    out_of_scope = "out_of_scope"  # 非职责范围
    duplicate = "duplicate"  # 重复 (linked to the event it repeats)


class Satisfaction(StrEnum):
    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    dissatisfied = "dissatisfied"  # 不满意


REPORTED = {"reported": True}
"""`info` of the columns a report carries: what intake writes from the reporter's data."""


class Event(Base):
    """One reported event, with the routing frozen on it when it was taken in."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), info=REPORTED)
    description: Mapped[str] = mapped_column(Text, default="", server_default="", info=REPORTED)
    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"), info=REPORTED)
    urgency: Mapped[Urgency] = mapped_column(
        str_enum(Urgency),
        default=Urgency.normal,
        server_default=Urgency.normal.value,
        info=REPORTED,
    )
    source: Mapped[EventSource] = mapped_column(str_enum(EventSource), info=REPORTED)
    external_id: Mapped[str | None] = mapped_column(String(100), info=REPORTED)
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus),
        default=EventStatus.reported,
        server_default=EventStatus.reported.value,
    )

    location = mapped_column(
        Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), info=REPORTED
    )
    input_lon: Mapped[float | None] = mapped_column(Double, info=REPORTED)
    input_lat: Mapped[float | None] = mapped_column(Double, info=REPORTED)
    input_crs: Mapped[str] = mapped_column(
        String(32), default="wgs84", server_default="wgs84", info=REPORTED
    )
    address: Mapped[str | None] = mapped_column(String(500), info=REPORTED)

    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=REPORTED)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reporter_name: Mapped[str | None] = mapped_column(String(100), info=REPORTED)
    reporter_phone: Mapped[str | None] = mapped_column(String(32), info=REPORTED)
    reporter_id_number: Mapped[str | None] = mapped_column(String(32), info=REPORTED)
    reporter_address: Mapped[str | None] = mapped_column(String(500), info=REPORTED)
    # The township of the reporter's unit: an event in no township is its command room's.
    reporter_township_code: Mapped[str | None] = mapped_column(String(32), info=REPORTED)

    routing_set_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_set.id"), info=REPORTED)
    routing_method: Mapped[RoutingMethod] = mapped_column(str_enum(RoutingMethod), info=REPORTED)
    grid_code: Mapped[str | None] = mapped_column(String(32), info=REPORTED)
    village_code: Mapped[str | None] = mapped_column(String(32), info=REPORTED)
    township_code: Mapped[str | None] = mapped_column(String(32), info=REPORTED)
    routing_distance_m: Mapped[float | None] = mapped_column(Double, info=REPORTED)
    routing_candidates: Mapped[list[str] | None] = mapped_column(ARRAY(String(32)), info=REPORTED)

    # --- the closed loop -----------------------------------------------------------------------
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), info=REPORTED)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closure_type: Mapped[ClosureType | None] = mapped_column(str_enum(ClosureType))
    reject_reason: Mapped[RejectReason | None] = mapped_column(str_enum(RejectReason))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    handle_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    overdue: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    rework_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    return_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    extension_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    satisfaction: Mapped[Satisfaction | None] = mapped_column(str_enum(Satisfaction, 24))

    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # The transaction that last wrote the row (set by PostgreSQL: a default on insert, a trigger
    # on update). Followers such as the screen's index read what changed since the oldest
    # transaction still running when they last looked: a late commit cannot slip past them.
    change_xid: Mapped[int] = mapped_column(BigInteger, server_default=text("txid_current()"))

    __table_args__ = (
        Index(
            "event_source_external_id_key",
            "source",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
        Index("event_location_gist", "location", postgresql_using="gist"),
        Index("event_status_idx", "status"),
        Index("event_category_idx", "category_code"),
        Index("event_grid_idx", "grid_code"),
        Index("event_village_idx", "village_code"),
        Index("event_township_idx", "township_code"),
        Index("event_routing_method_idx", "routing_method"),
        Index("event_created_at_idx", "created_at"),
        Index("event_updated_at_idx", "updated_at"),
        Index("event_change_xid_idx", "change_xid"),
        Index("event_lead_unit_idx", "lead_unit_id"),
        Index(
            "event_unplaced_reporter_idx",
            "reporter_township_code",
            postgresql_where=text("township_code IS NULL"),
        ),
    )


class TaskRole(StrEnum):
    lead = "lead"  # 主办
    co = "co"  # 协办


class TaskState(StrEnum):
    pending = "pending"  # 待签收
    acknowledged = "acknowledged"  # 已签收
    in_progress = "in_progress"  # 处置中
    done = "done"  # 已反馈
    returned = "returned"  # 已退回
    cancelled = "cancelled"  # 已撤销 (escalated, or the lead returned the event)


OPEN_TASK_STATES: tuple[TaskState, ...] = (
    TaskState.pending,
    TaskState.acknowledged,
    TaskState.in_progress,
)
"""A task still in play: its deadline counts."""
OPEN_TASK_SQL = "state IN ({})".format(", ".join(f"'{t.value}'" for t in OPEN_TASK_STATES))


class FeedbackResult(StrEnum):
    resolved = "resolved"  # 已解决
    partially_resolved = "partially_resolved"  # 部分解决
    unresolvable = "unresolvable"  # 无法解决


class ExtensionState(StrEnum):
    pending = "pending"  # 待审批
    approved = "approved"  # 已批准
    refused = "refused"  # 未批准
    void = "void"  # 作废 (its task ended first)


class Task(Base):
    """One unit's part in handling an event, with its own deadlines (stored, computed once)."""

    __tablename__ = "task"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    role: Mapped[TaskRole] = mapped_column(str_enum(TaskRole, 8))
    state: Mapped[TaskState] = mapped_column(str_enum(TaskState), default=TaskState.pending)
    instructions: Mapped[str | None] = mapped_column(Text)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledge_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handle_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    at_risk_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    at_risk_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str | None] = mapped_column(Text)
    rework_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    extension_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    __table_args__ = (
        Index("task_event_idx", "event_id"),
        Index("task_unit_state_idx", "unit_id", "state"),
        # The sweep's two questions, answered from small partial indexes.
        Index(
            "task_at_risk_due_idx",
            "at_risk_at",
            postgresql_where=text(f"{OPEN_TASK_SQL} AND at_risk_notified_at IS NULL"),
        ),
        Index(
            "task_overdue_due_idx",
            "handle_due",
            postgresql_where=text(f"{OPEN_TASK_SQL} AND overdue_notified_at IS NULL"),
        ),
    )


class TimelineEntry(Base):
    """One action on an event: append-only (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "event_timeline"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    unit_code: Mapped[str | None] = mapped_column(String(40))
    unit_name: Mapped[str | None] = mapped_column(String(200))
    from_status: Mapped[EventStatus | None] = mapped_column(str_enum(EventStatus))
    to_status: Mapped[EventStatus] = mapped_column(str_enum(EventStatus))
    comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    attachment_ids: Mapped[list[int]] = mapped_column(
        ARRAY(BigInteger), server_default=text("'{}'")
    )

    __table_args__ = (UniqueConstraint("event_id", "seq", name="event_timeline_event_seq_key"),)


class Feedback(Base):
    """What a unit reports back on its task: text, result and photos."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    content: Mapped[str] = mapped_column(Text)
    result: Mapped[FeedbackResult] = mapped_column(str_enum(FeedbackResult, 24))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attachment_ids: Mapped[list[int]] = mapped_column(
        ARRAY(BigInteger), server_default=text("'{}'")
    )


class ExtensionRequest(Base):
    """A unit asks for more time (延期); the command room approves or refuses."""

    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requested_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[ExtensionState] = mapped_column(
        str_enum(ExtensionState), default=ExtensionState.pending
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    new_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_comment: Mapped[str | None] = mapped_column(Text)


class Rating(Base):
    """A citizen's satisfaction after closing (回访), recorded by the command room."""

    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    level: Mapped[Satisfaction] = mapped_column(str_enum(Satisfaction, 24))
    comment: Mapped[str | None] = mapped_column(Text)
    reopened: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
