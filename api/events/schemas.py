"""What the events API takes in and gives back."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api import clock
from api.events.models import (
    ClosureType,
    EventSource,
    EventStatus,
    FeedbackResult,
    RejectReason,
    Satisfaction,
    TaskRole,
    TaskState,
    Urgency,
)
from api.supervision.models import SupervisionLevel
from gis.crs import parse_crs
from gis.router import RoutingMethod

DESCRIPTION_MAX_CHARS = 4000
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,30}$")

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


_ID_NUMBER = re.compile(r"^(\d{15}|\d{17}[\dXx])$")


class Reporter(BaseModel):
    """Who reported the event: personal data, masked in every answer (api/events/privacy.py)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    id_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=18)] | None = (
        Field(default=None, description="Resident ID number (居民身份证号), 15 or 18 characters.")
    )
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = (
        Field(default=None, description="The reporter's own (home) address, not the event's.")
    )

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        if value and not _ID_NUMBER.match(value):
            raise ValueError(
                "id_number must be 18 characters (17 digits and a digit or X) or 15 digits; "
                f"got {len(value)} characters"
            )
        return value.upper() if value else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value and not _PHONE.match(value):
            raise ValueError(
                "phone must be digits (a leading + and spaces or dashes allowed), "
                f"e.g. 13800000000; got {value!r}"
            )
        return value or None


class EventIn(BaseModel):
    """A report of an event, from any source."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "title": "路边暴露垃圾",
                "description": "桥头东侧有一堆生活垃圾未清运",
                "category_code": "0102",
                "source": "grid_worker",
                "lon": 119.172,
                "lat": 29.031,
                "crs": "wgs84",
                "address": "龙洲街道某路 12 号",
                "external_id": "GW-20261126-0001",
                "reporter": {"name": "张三", "phone": "13800000000"},
            }
        },
    )

    title: Text200
    description: Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX_CHARS)] = ""
    category_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=8)
    ]
    urgency: Urgency = Urgency.normal
    source: EventSource
    lon: float = Field(description="Longitude (or easting for a projected EPSG crs).")
    lat: float = Field(description="Latitude (or northing for a projected EPSG crs).")
    crs: str = Field(
        default="wgs84",
        description="wgs84, cgcs2000, gcj02, bd09 or an EPSG code such as EPSG:4549",
    )
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    occurred_at: datetime | None = Field(
        default=None,
        description="When it happened; a time without a zone is in the server's zone "
        "(SHUXIN_TIMEZONE, Asia/Shanghai).",
    )
    reporter: Reporter | None = None
    external_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = Field(
        default=None,
        description="The sender's own id: the same source + external_id is stored only once.",
    )

    @field_validator("lon", "lat")
    @classmethod
    def _finite(cls, value: float, info) -> float:
        if not math.isfinite(value):
            raise ValueError(f"{info.field_name} must be a finite number, got {value}")
        return value

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str) -> str:
        return parse_crs(value)

    @field_validator("occurred_at")
    @classmethod
    def _zone(cls, value: datetime | None) -> datetime | None:
        return clock.aware(value) if value is not None else None


class ReporterOut(BaseModel):
    """The reporter as every answer shows them: masked (张*, 138****0000)."""

    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    address: str | None = None
    masked: bool = True


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=500)]


class RevealedReporter(BaseModel):
    """The reporter in clear, for one event, for who needs it (recorded in the audit log)."""

    name: str | None
    phone: str | None
    id_number: str | None
    address: str | None
    revealed_at: datetime
    reason: str


class CategoryRef(BaseModel):
    code: str
    name: str


class Routing(BaseModel):
    """Where the event was routed when it was taken in, and how (frozen on the event)."""

    boundary_set: str | None
    method: RoutingMethod
    grid_code: str | None
    grid_name: str | None = None
    village_code: str | None
    village_name: str | None = None
    township_code: str | None
    township_name: str | None = None
    distance_m: float | None
    candidates: list[str]


class InputLocation(BaseModel):
    lon: float | None
    lat: float | None
    crs: str


class TaskOut(BaseModel):
    id: int
    unit_code: str
    unit_name: str
    role: TaskRole
    state: TaskState
    assigned_at: datetime
    acknowledge_due: datetime | None
    handle_due: datetime
    at_risk_at: datetime
    acknowledged_at: datetime | None
    started_at: datetime | None
    done_at: datetime | None
    overdue: bool
    rework_count: int
    extension_count: int


class EventCounts(BaseModel):
    rework: int = 0
    returned: int = 0
    reopened: int = 0
    extended: int = 0


class EventOut(BaseModel):
    id: int
    title: str
    description: str
    category: CategoryRef
    urgency: Urgency
    source: EventSource
    external_id: str | None
    status: EventStatus
    lon: float | None = Field(description="WGS84 longitude of the stored point.")
    lat: float | None = Field(description="WGS84 latitude of the stored point.")
    input: InputLocation
    address: str | None
    occurred_at: datetime | None
    created_at: datetime
    updated_at: datetime
    reporter: ReporterOut | None = Field(description="Masked: POST .../reveal shows it in clear.")
    routing: Routing
    version: int
    handle_due: datetime | None = Field(default=None, description="The lead task's deadline.")
    at_risk: bool = False
    overdue: bool = False
    closure_type: ClosureType | None = None
    reject_reason: RejectReason | None = None
    duplicate_of: int | None = None
    satisfaction: Satisfaction | None = None
    counts: EventCounts = Field(default_factory=EventCounts)
    tasks: list[TaskOut] = Field(default_factory=list)
    allowed_actions: list[str] = Field(
        default_factory=list, description="Actions this event's state allows for your role."
    )


class EventPage(BaseModel):
    items: list[EventOut]
    total: int
    limit: int
    offset: int


class EventFilters(BaseModel):
    """Filters of the events list; every one optional, all combined with AND."""

    status: list[EventStatus] | None = None
    category: str | None = None
    township: str | None = None
    village: str | None = None
    grid: str | None = None
    routing: list[RoutingMethod] | None = None
    bbox: tuple[float, float, float, float] | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    updated_since: datetime | None = None
    q: str | None = None


# --- the closed loop: action bodies -------------------------------------------------------------

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ActionBody(BaseModel):
    """Every action names the event version it saw: a stale one is refused (409)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="The event's version as you last saw it.")
    comment: Comment | None = None


class TaskActionBody(ActionBody):
    task_id: int | None = Field(
        default=None, description="Your unit's task; default: the one your unit has."
    )


class AcceptBody(ActionBody):
    category_code: str | None = Field(default=None, description="Correct the category.")
    urgency: Urgency | None = Field(default=None, description="Correct the urgency.")


class RejectBody(ActionBody):
    reason: RejectReason
    duplicate_of: int | None = Field(
        default=None, description="The event this one repeats (reason duplicate)."
    )


class AssignBody(ActionBody):
    lead_unit: str | None = Field(
        default=None,
        description="Unit code of the lead (主办); default: the category's "
        "platform in the event's township, else the grid's unit.",
    )
    co_units: list[str] = Field(
        default_factory=list, max_length=10, description="Unit codes of co-handling units (协办)."
    )
    urgency: Urgency | None = None
    instructions: Comment | None = None


class ReturnBody(TaskActionBody):
    reason: Required


class FeedbackBody(TaskActionBody):
    text: Required
    result: FeedbackResult = FeedbackResult.resolved
    attachment_ids: list[int] = Field(
        default_factory=list, max_length=20, description="Photos uploaded to this event before."
    )


class VerifyBody(ActionBody):
    passed: bool
    comment: Comment | None = Field(default=None, description="Required when it fails.")


class EscalateBody(ActionBody):
    reason: Required


class CountyReturnBody(ActionBody):
    instructions: Required


class CountyCloseBody(ActionBody):
    comment: Required


class RequestExtensionBody(TaskActionBody):
    new_due: datetime | None = Field(default=None, description="The deadline asked for.")
    extra: str | None = Field(default=None, description="Or the extra time: 2wd, 4wh, 24h.")
    reason: Required


class DecideExtensionBody(ActionBody):
    request_id: int
    approve: bool
    new_due: datetime | None = Field(
        default=None, description="Grant another deadline than the one asked."
    )


class SuperviseBody(ActionBody):
    task_id: int | None = Field(default=None, description="Default: the lead task.")
    level: SupervisionLevel
    reply_due: datetime | None = Field(default=None, description="Default: 1 working day.")
    message: Required


class AnswerSupervisionBody(ActionBody):
    supervision_id: int
    answer: Required


class RateBody(ActionBody):
    level: Satisfaction
    reopen: bool = Field(default=False, description="Reopen the event (dissatisfied only).")


class TimelineOut(BaseModel):
    seq: int
    at: datetime
    action: str
    actor: str
    actor_role: str | None
    unit_code: str | None
    unit_name: str | None
    from_status: EventStatus | None
    to_status: EventStatus
    comment: str | None
    details: dict
    attachment_ids: list[int]
