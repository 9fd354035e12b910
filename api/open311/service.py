"""Open311 GeoReport v2 over Shuxin: services are the category catalog's 小类, requests are
events. A request comes in through the normal intake (`create_event`: routed, idempotent by
source and external_id); requests are read through the one visibility policy and the one
mapper. Nothing here decides who sees what or how an event is stored.

States: Open311 knows open and closed; an event is closed when it is closed or rejected
(not in OPEN_STATES), and `status_notes` carries Shuxin's own state and its detail.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from api import clock
from api.categories.models import Category
from api.categories.service import catalog
from api.errors import InvalidInput, NotFound
from api.events import service as events
from api.events.models import OPEN_STATES, Event, EventSource, TaskRole, Urgency
from api.events.policy import require_reporter
from api.events.schemas import EventIn, EventOut, Reporter
from api.open311.schemas import (
    Attribute,
    AttributeValue,
    Discovery,
    Endpoint,
    RequestCreated,
    Service,
    ServiceDefinition,
    ServiceRequest,
)
from api.users.service import Actor

MAX_REQUESTS = 1000
"""The most requests one GET /requests answers (the newest first)."""
DEFAULT_WINDOW = timedelta(days=90)
"""Without dates, the last 90 days; a window may not be longer (the standard's rule)."""
CHANGESET = datetime(2026, 12, 1, tzinfo=clock.zone())
SOURCE = EventSource.citizen
"""Open311 requests come from civic apps: citizens' reports (群众上报)."""
_URGENCY_NAMES = {Urgency.normal.value: "一般", Urgency.urgent.value: "紧急"}


def discovery(*, base: str) -> Discovery:
    """Where the endpoint is and what it speaks."""
    return Discovery(
        changeset=CHANGESET,
        contact="乡镇综合信息指挥室",
        key_service="An administrator makes a key: shuxin users api-key LOGIN --name APP",
        endpoints=[Endpoint(url=base, changeset=CHANGESET)],
    )


def _leaf_categories(session: Session) -> list[Category]:
    return list(
        session.scalars(
            select(Category)
            .where(Category.active, Category.parent_code.is_not(None))
            .order_by(Category.code)
        )
    )


def list_services(*, session: Session) -> list[Service]:
    """The categories (小类) people may report, grouped by their 大类."""
    rows = session.execute(
        select(Category.code, Category.name).where(Category.parent_code.is_(None))
    ).all()
    groups = {code: name for code, name in rows}
    return [
        Service(
            service_code=c.code,
            service_name=c.name,
            description=f"{groups.get(c.parent_code, '')} · {c.name}",
            metadata=len(c.urgencies) > 1,
            keywords=",".join(filter(None, (c.name, groups.get(c.parent_code)))),
            group=groups.get(c.parent_code, ""),
        )
        for c in _leaf_categories(session)
    ]


def service_definition(*, session: Session, service_code: str) -> ServiceDefinition:
    """A service's attributes: the urgencies its category allows."""
    category = catalog(session).get(service_code)
    if category is None:
        raise NotFound(f"there is no service {service_code!r}", field="service_code")
    return ServiceDefinition(
        service_code=category.code,
        attributes=[
            Attribute(
                code="urgency",
                datatype="singlevaluelist",
                required=False,
                datatype_description="一般 (normal) or 紧急 (urgent)",
                order=1,
                description="紧急程度",
                values=[
                    AttributeValue(key=u, name=_URGENCY_NAMES.get(u, u)) for u in category.urgencies
                ],
            )
        ],
    )


def _status_notes(event: EventOut) -> str:
    notes = [f"{event.status.label_zh} ({event.status.value})"]
    if event.reject_reason:
        notes.append(f"reject_reason: {event.reject_reason.value}")
    if event.duplicate_of:
        notes.append(f"duplicate_of: {event.duplicate_of}")
    if event.closure_type:
        notes.append(f"closure: {event.closure_type.value}")
    if event.overdue:
        notes.append("超期 (overdue)")
    elif event.at_risk:
        notes.append("临期 (at risk)")
    return "; ".join(notes)


def to_request(event: EventOut) -> ServiceRequest:
    """An event (as the one mapper answers it) as an Open311 service request."""
    lead = next((t for t in event.tasks if t.role is TaskRole.lead), None)
    return ServiceRequest(
        service_request_id=str(event.id),
        status="open" if event.status in OPEN_STATES else "closed",
        status_notes=_status_notes(event),
        service_name=event.category.name,
        service_code=event.category.code,
        description=event.description or event.title,
        agency_responsible=lead.unit_name if lead else None,
        service_notice=None,
        requested_datetime=event.created_at,
        updated_datetime=event.updated_at,
        expected_datetime=event.handle_due,
        address=event.address,
        lat=event.lat,
        long=event.lon,
    )


def _date(value: str, field: str) -> datetime:
    try:
        return clock.aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise InvalidInput(
            f"{field} must be a W3C date-time such as 2026-11-01T00:00:00Z; got {value!r}",
            field=field,
        ) from None


def _codes(value: str, field: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] or _nothing(field)


def _nothing(field: str) -> list[str]:
    raise InvalidInput(f"{field} is empty", field=field)


def list_requests(
    *, session: Session, actor: Actor, params: Mapping[str, str]
) -> list[ServiceRequest]:
    """Requests the actor may see: by service_request_id (which overrides the rest), or by
    service_code, status (open, closed) and start_date/end_date (at most 90 days; default:
    the last 90 days), newest first, at most MAX_REQUESTS."""
    where: list[ColumnElement[bool]] = []
    if params.get("service_request_id"):
        ids = _codes(params["service_request_id"], "service_request_id")
        if not all(i.isdigit() for i in ids):
            raise InvalidInput("service_request_id must be numbers", field="service_request_id")
        where.append(Event.id.in_([int(i) for i in ids]))
    else:
        if params.get("service_code"):
            where.append(Event.category_code.in_(_codes(params["service_code"], "service_code")))
        if params.get("status"):
            wanted = set(_codes(params["status"], "status"))
            if not wanted <= {"open", "closed"}:
                raise InvalidInput("status must be open, closed or both", field="status")
            open_values = [s.value for s in OPEN_STATES]
            if wanted == {"open"}:
                where.append(Event.status.in_(open_values))
            elif wanted == {"closed"}:
                where.append(Event.status.not_in(open_values))
        end = _date(params["end_date"], "end_date") if params.get("end_date") else None
        start = _date(params["start_date"], "start_date") if params.get("start_date") else None
        if start is None:
            start = (end or clock.now()) - DEFAULT_WINDOW
        if end is not None and end < start:
            raise InvalidInput("end_date is before start_date", field="end_date")
        if end is not None and end - start > DEFAULT_WINDOW:
            raise InvalidInput("start_date to end_date may span at most 90 days", field="end_date")
        where.append(Event.created_at >= start)
        if end is not None:
            where.append(Event.created_at <= end)
    found = events.latest_events(session=session, actor=actor, where=where, limit=MAX_REQUESTS)
    return [to_request(e) for e in events.to_out(session, found, actor)]


def get_request(*, session: Session, actor: Actor, request_id: str) -> ServiceRequest:
    """One request the actor may see (404 otherwise)."""
    if not request_id.isdigit():
        raise NotFound(f"there is no request {request_id!r}", field="service_request_id")
    event = events.get_event(session=session, event_id=int(request_id), actor=actor)
    return to_request(events.to_out(session, [event], actor)[0])


def _number(form: Mapping[str, str], field: str) -> float:
    value = form.get(field)
    if value is None or value == "":
        raise InvalidInput(
            f"{field} is required: Shuxin routes a request by its location (lat and long, WGS84)",
            field=field,
        )
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a number; got {value!r}", field=field) from None
    if not math.isfinite(number):
        raise InvalidInput(f"{field} must be a finite number", field=field)
    return number


def _external_id(actor: Actor, form: Mapping[str, str]) -> str:
    """The sender's own id, or one derived from what was sent: the same request sent again
    (a retry) is the same event."""
    if form.get("external_id"):
        return form["external_id"]
    fields = (
        "service_code",
        "lat",
        "long",
        "address_string",
        "description",
        "device_id",
        "account_id",
        "email",
        "phone",
        "first_name",
        "last_name",
    )
    payload = json.dumps([actor.id, *(form.get(f, "") for f in fields)], ensure_ascii=False)
    return "o311-" + hashlib.sha256(payload.encode()).hexdigest()[:32]


def _title(description: str, category_name: str) -> str:
    first = description.strip().splitlines()[0] if description.strip() else ""
    return (first[:60] or category_name)[:200]


def create_request(
    *, session: Session, actor: Actor, form: Mapping[str, str]
) -> tuple[RequestCreated, bool]:
    """Take in a request through the normal intake; (answer, created). The same request sent
    again (same external_id, or the same content from the same key) answers the stored one."""
    require_reporter(actor)
    service_code = form.get("service_code") or ""
    category = catalog(session).get(service_code)
    if category is None:
        raise InvalidInput(
            f"service_code {service_code!r} is not a service; GET services.json lists them",
            field="service_code",
        )
    lat, lon = _number(form, "lat"), _number(form, "long")
    description = form.get("description") or ""
    if form.get("media_url"):
        description = f"{description}\n图片: {form['media_url']}".strip()
    name = f"{form.get('last_name', '')}{form.get('first_name', '')}".strip() or None
    urgency = form.get("attribute[urgency]") or Urgency.normal.value
    try:
        data = EventIn(
            title=_title(description, category.name),
            description=description,
            category_code=category.code,
            urgency=urgency,
            source=SOURCE,
            lon=lon,
            lat=lat,
            crs="wgs84",
            address=form.get("address_string") or None,
            reporter=Reporter(name=name, phone=form.get("phone") or None)
            if name or form.get("phone")
            else None,
            external_id=_external_id(actor, form),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "request"
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        raise InvalidInput(f"{field}: {message}", field=field) from None
    event, created = events.create_event(session=session, data=data, actor=actor)
    notice = (
        f"已收到，事件编号 {event.id}，{event.status.label_zh}"
        if created
        else f"此前已收到，事件编号 {event.id}，{event.status.label_zh}"
    )
    return RequestCreated(service_request_id=str(event.id), service_notice=notice), created
