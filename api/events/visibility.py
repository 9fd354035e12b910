"""Who can see which event: event data is not public.

- admin and the county centre: every event;
- the command room and viewers: the events of their township, and those not yet placed in any;
- a unit's staff and grid workers: events their unit has a task on, events in the areas their
  unit covers (its village or grid), and what they reported themselves.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from api.events.models import Event, Task
from api.units.models import UnitKind
from api.users.models import Role
from api.users.service import Actor


def visible_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on Event selecting what `actor` may see."""
    if actor.role in (Role.admin, Role.county) or actor.unit_kind is UnitKind.county_center:
        return true()
    if (
        actor.role in (Role.commander, Role.viewer)
        and actor.township_code
        and (actor.unit_kind in (UnitKind.command_room, UnitKind.platform))
    ):
        return or_(Event.township_code == actor.township_code, Event.township_code.is_(None))
    if actor.unit_id is None:
        return false()
    clauses = [
        exists(select(Task.id).where(Task.event_id == Event.id, Task.unit_id == actor.unit_id)),
        Event.reported_by_id == actor.id,
    ]
    if actor.area_codes:
        codes = list(actor.area_codes)
        clauses += [Event.grid_code.in_(codes), Event.village_code.in_(codes)]
    if actor.role is Role.viewer and actor.township_code:
        clauses.append(Event.township_code == actor.township_code)
    return or_(*clauses)


def can_see(session: Session, actor: Actor, event: Event) -> bool:
    """True if `actor` may see `event`."""
    return bool(session.scalar(select(Event.id).where(Event.id == event.id, visible_clause(actor))))
