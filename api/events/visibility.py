"""Who sees which event: event data is not public. The one place that decides it.

The rule (`scope_of`):
- administrators, the county centre's staff and the county role: every event;
- the command room (and viewers of the command room or a platform) of a township: the events
  routed to that township, and the events in no township that were reported from it (its own
  grid workers' and staff's reports that found no grid: they are its to place);
- the staff of any other unit (handlers, grid workers, viewers of a department, village or grid):
  events their unit has a task on, events in the areas their unit covers (its village or grid),
  and what they reported themselves; a viewer also the events of their unit's township.
Anything else sees nothing: a user whose unit has no township sees nothing township-wide, and an
event in no township reported from nowhere (an API client of the county) is the county's.

The same `Scope` is evaluated two ways, side by side below so that they cannot drift: as a SQL
WHERE clause (`visible_clause`, for every query) and as a mask over the command screen's
in-memory columns (`visible_mask`). A test compares them for every demo user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from api.events.errors import EventNotFound
from api.events.models import Event, Task
from api.units.models import UnitKind
from api.users.models import Role
from api.users.service import Actor

_TOWNSHIP_WIDE_UNITS = (UnitKind.command_room, UnitKind.platform)


@dataclass(frozen=True)
class Scope:
    """What an actor may see, as terms joined by OR (no term: nothing)."""

    everything: bool = False
    township: str | None = None  # events routed to this township
    unplaced_from: str | None = None  # events in no township, reported from this township
    areas: tuple[str, ...] = ()  # events in these grids or villages
    reporter_id: int | None = None  # events this user reported
    task_unit_id: int | None = None  # events this unit has a task on


def scope_of(actor: Actor) -> Scope:
    """The one rule of who sees what (see the module's docstring)."""
    if actor.role in (Role.admin, Role.county) or actor.unit_kind is UnitKind.county_center:
        return Scope(everything=True)
    if actor.unit_id is None:
        return Scope()
    township = actor.township_code
    if (
        actor.role in (Role.commander, Role.viewer)
        and township
        and actor.unit_kind in _TOWNSHIP_WIDE_UNITS
    ):
        return Scope(township=township, unplaced_from=township)
    return Scope(
        township=township if actor.role is Role.viewer else None,
        areas=tuple(actor.area_codes),
        reporter_id=actor.id,
        task_unit_id=actor.unit_id,
    )


# --- as SQL --------------------------------------------------------------------------------------


def visible_clause(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on Event selecting what `actor` may see."""
    scope = scope_of(actor)
    if scope.everything:
        return true()
    terms: list[ColumnElement[bool]] = []
    if scope.township:
        terms.append(Event.township_code == scope.township)
    if scope.unplaced_from:
        terms.append(
            and_(Event.township_code.is_(None), Event.reporter_township_code == scope.unplaced_from)
        )
    if scope.areas:
        terms += [Event.grid_code.in_(scope.areas), Event.village_code.in_(scope.areas)]
    if scope.reporter_id is not None:
        terms.append(Event.reported_by_id == scope.reporter_id)
    if scope.task_unit_id is not None:
        terms.append(
            exists(
                select(Task.id).where(Task.event_id == Event.id, Task.unit_id == scope.task_unit_id)
            )
        )
    return or_(*terms) if terms else false()


# --- as a mask over in-memory columns ------------------------------------------------------------


class EventColumns(Protocol):
    """What `visible_mask` needs of a column-wise copy of the event table."""

    def __len__(self) -> int: ...

    def equals(self, column: str, value: str) -> np.ndarray:
        """Rows whose `column` (township, village, grid, reporter_township) is `value`;
        `value` '' means no value."""

    def reported_by(self, user_id: int) -> np.ndarray:
        """Rows reported by this user."""

    def with_ids(self, ids: list[int]) -> np.ndarray:
        """Rows of these event ids."""


def visible_mask(
    actor: Actor, rows: EventColumns, task_event_ids: Callable[[int], list[int]]
) -> np.ndarray:
    """The rows `actor` may see, by the same Scope as `visible_clause`; `task_event_ids(unit)`
    gives the events a unit has a task on (asked only when the scope needs it)."""
    scope = scope_of(actor)
    if scope.everything:
        return np.ones(len(rows), dtype=bool)
    mask = np.zeros(len(rows), dtype=bool)
    if scope.township:
        mask |= rows.equals("township", scope.township)
    if scope.unplaced_from:
        mask |= rows.equals("township", "") & rows.equals("reporter_township", scope.unplaced_from)
    for code in scope.areas:
        mask |= rows.equals("grid", code) | rows.equals("village", code)
    if scope.reporter_id is not None:
        mask |= rows.reported_by(scope.reporter_id)
    if scope.task_unit_id is not None:
        mask |= rows.with_ids(task_event_ids(scope.task_unit_id))
    return mask


def task_event_ids(session: Session, unit_id: int) -> list[int]:
    """The events a unit has a task on."""
    return list(session.scalars(select(Task.event_id).where(Task.unit_id == unit_id).distinct()))


# --- finding one event ---------------------------------------------------------------------------


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
