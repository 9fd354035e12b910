"""Reporters' personal data (保密管理): masked everywhere by default, revealed one event at a time.

A reporter's name, phone, ID number and home address are shown masked (`张*`, `138****0000`) in
every answer: the one event mapper (`api/events/service.py: event_out`) masks them, so lists,
GeoJSON, the screen and exports never carry them in clear. Who needs them — the command room of
the event's township, the lead unit while it handles the event, the county centre while the event
is escalated to it (`api/events/policy.py: require_reveal`) — asks for one event with a reason
(`reveal`), and each reveal is written to the audit log. There is no other way to read them.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import clock
from api.audit.models import AuditAction
from api.audit.record import record
from api.events import policy
from api.events.models import OPEN_TASK_STATES, Task, TaskRole
from api.events.schemas import ReporterOut, RevealedReporter
from api.events.visibility import visible_event
from api.users.service import Actor

_DIGITS = re.compile(r"\d")


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the family name's first character stays."""
    name = name.strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def mask_phone(phone: str) -> str:
    """13800000000 → 138****0000; a short number keeps only its last two digits."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(0, len(digits) - 2) + digits[-2:]


def mask_id_number(number: str) -> str:
    """A resident ID (18 characters) keeps its first 6 (the area) and last 4: 330825********1234."""
    number = number.strip()
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_address(address: str) -> str:
    """A home address keeps its first half, without any number: 龙洲街道某路12号 → 龙洲街道****."""
    address = address.strip()
    keep = _DIGITS.sub("*", address[: len(address) // 2])
    return keep + "****" if address else ""


def masked_reporter(event) -> ReporterOut | None:
    """The reporter of `event` (an Event, or anything with its reporter_* attributes), masked."""
    name, phone = event.reporter_name, event.reporter_phone
    id_number, home = event.reporter_id_number, event.reporter_address
    if not (name or phone or id_number or home):
        return None
    return ReporterOut(
        name=mask_name(name) if name else None,
        phone=mask_phone(phone) if phone else None,
        id_number=mask_id_number(id_number) if id_number else None,
        address=mask_address(home) if home else None,
        masked=True,
    )


def reveal(
    *, session: Session, actor: Actor, event_id: int, reason: str, address: str | None
) -> RevealedReporter:
    """The reporter of one event in clear, for who needs it; recorded in the audit log."""
    event = visible_event(session, actor, event_id)
    lead = session.scalar(
        select(Task.unit_id).where(
            Task.event_id == event.id, Task.role == TaskRole.lead, Task.state.in_(OPEN_TASK_STATES)
        )
    )
    policy.require_reveal(actor, event, lead_unit_id=lead)
    record(
        session,
        action=AuditAction.reveal,
        who=actor,
        address=address,
        target=f"event {event.id}",
        reason=reason,
        fields=[f for f in _FIELDS if getattr(event, f)],
    )
    return RevealedReporter(
        name=event.reporter_name,
        phone=event.reporter_phone,
        id_number=event.reporter_id_number,
        address=event.reporter_address,
        revealed_at=clock.now(),
        reason=reason,
    )


_FIELDS = ("reporter_name", "reporter_phone", "reporter_id_number", "reporter_address")
