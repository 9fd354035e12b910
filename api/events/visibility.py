"""Who can see which event: event data is not public. The one place that decides it.

- admin and the county centre: every event;
- the command room and viewers: the events of their township, and those not yet placed in any;
- a unit's staff and grid workers: events their unit has a task on, events in the areas their
  unit covers (its village or grid), and what they reported themselves.

`visible_clause` is the rule as SQL; `visible_event` finds one event the actor may see (the one
way every reader and action looks an event up, with one answer when it is not there or not
theirs: 404 event_not_found).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from api.events.errors import EventNotFound
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


def find_visible(
    session: Session, actor: Actor, event_id: int, *, for_update: bool = False
) -> Event | None:
    """The event if `actor` may see it, else None; `for_update` locks its row."""
    query = select(Event).where(Event.id == event_id, visible_clause(actor))
    if for_update:
        query = query.with_for_update(of=Event)
    return session.scalar(query)


def visible_event(
    session: Session, actor: Actor, event_id: int, *, for_update: bool = False
) -> Event:
    """The event if `actor` may see it; EventNotFound (404) otherwise, missing or not."""
    event = find_visible(session, actor, event_id, for_update=for_update)
    if event is None:
        raise EventNotFound(f"there is no event {event_id} you can see", field="event_id")
    return event
