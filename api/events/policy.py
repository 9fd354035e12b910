"""Who may do what: the one policy of roles and units.

Each workflow action declares, in its `ActionSpec` (api/events/transitions.py), the roles that
may take it and the unit rule (`Guard`) checked before it runs; both come from here. So do the
permissions outside the workflow: who may report an event, open the command screen, add
photos. Who *sees* which event is the other half of the policy: api/events/visibility.py.

Every refusal is `Forbidden` (403) with a message that says who may, and who the actor is.
"""

from __future__ import annotations

from collections.abc import Callable

from api.events.models import Event, EventStatus
from api.events.visibility import scope_of
from api.units.models import Unit, UnitKind
from api.users.models import Role
from api.users.service import Actor, Forbidden

COMMAND = frozenset({Role.commander, Role.admin})
"""The township command room (and administrators): accept, assign, verify, supervise ..."""
UNIT_STAFF = frozenset({Role.handler, Role.grid_worker, Role.admin})
"""A handling unit's staff: acknowledge, handle, feed back, return, ask for more time."""
COUNTY = frozenset({Role.county, Role.admin})
"""The county social governance centre: escalated events."""
REPORTERS = frozenset({Role.commander, Role.handler, Role.grid_worker, Role.county, Role.admin})
"""Who may report an event (POST /api/v1/events): everyone but viewers."""
SCREEN_ROLES = frozenset({Role.commander, Role.viewer, Role.county, Role.admin})
"""Who may open the command screen and its data."""
PHOTO_ROLES = REPORTERS
"""Who may add photos to an event they can see."""
AUDIT_READERS = frozenset({Role.admin, Role.county})
"""Who may read the access audit log."""
MOBILE_ROLES = REPORTERS
"""Who may open the phone page (/m): grid workers and handlers, commanders on the move."""
PATROL_ROLES = frozenset({Role.grid_worker, Role.handler, Role.commander, Role.admin})
"""Who may patrol (巡查) and record a track."""

Guard = Callable[[Actor, Event], None]
"""A unit rule of an action: returns, or raises Forbidden saying why."""


def require_reporter(actor: Actor) -> None:
    """403 unless the actor may report events."""
    if actor.role not in REPORTERS:
        raise Forbidden(f"a {actor.role.value} cannot report events", field="role")


def require_screen(actor: Actor) -> None:
    """403 unless the actor may use the command screen."""
    if actor.role not in SCREEN_ROLES:
        raise Forbidden(
            "the command screen is for the command room, the county centre and "
            f"viewers; you are {actor.describe()}",
            field="role",
        )


def require_photo(actor: Actor) -> None:
    """403 unless the actor may add photos."""
    if actor.role not in PHOTO_ROLES:
        raise Forbidden(f"a {actor.role.value} cannot add photos", field="role")


def require_mobile(actor: Actor) -> None:
    """403 unless the actor may use the phone page."""
    if actor.role not in MOBILE_ROLES:
        raise Forbidden(
            "手机端用于上报和办理，只读账号请使用指挥大屏 (the phone page is for who reports "
            f"and handles events); you are {actor.describe()}",
            field="role",
        )


def require_patrol(actor: Actor) -> None:
    """403 unless the actor may patrol and record a track."""
    if actor.role not in PATROL_ROLES:
        allowed = ", ".join(sorted(r.value for r in PATROL_ROLES))
        raise Forbidden(f"patrols are for {allowed}; you are {actor.describe()}", field="role")


def require_audit_reader(actor: Actor) -> None:
    """403 unless the actor may read the audit log."""
    if actor.role not in AUDIT_READERS:
        raise Forbidden(
            f"the audit log is for administrators and the county centre; you are "
            f"{actor.describe()}",
            field="role",
        )


def require_action_role(actor: Actor, roles: frozenset[Role], action: str) -> None:
    """403 unless the actor's role is among those of the action."""
    if actor.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Forbidden(f"{action} is for {allowed}; you are {actor.describe()}", field="role")


# --- unit rules of the actions (Guards) ----------------------------------------------------------


def own_command_room(actor: Actor, event: Event) -> None:
    """The command room of the event's township (or an administrator)."""
    if actor.is_admin:
        return
    if actor.unit_kind is not UnitKind.command_room:
        raise Forbidden(
            f"only the command room can do this; you are {actor.describe()}", field="unit"
        )
    if event.township_code and event.township_code != actor.township_code:
        raise Forbidden(
            f"event {event.id} belongs to township {event.township_code}; "
            f"you are {actor.describe()}",
            field="unit",
        )


def county_centre(actor: Actor, event: Event) -> None:
    """The county centre (or an administrator)."""
    if not actor.is_admin and actor.unit_kind is not UnitKind.county_center:
        raise Forbidden(
            f"only the county centre can do this; you are {actor.describe()}", field="unit"
        )


def task_unit(actor: Actor, event: Event) -> None:
    """A unit with a task on the event: the action checks the task itself (`require_unit`)."""


def verifier(actor: Actor, event: Event) -> None:
    """The command room of the event's township, or the grid worker who reported it."""
    if actor.role is Role.grid_worker:
        if event.reported_by_id != actor.id:
            raise Forbidden(
                f"a grid worker verifies only the events they reported; you are {actor.describe()}",
                field="role",
            )
        return
    own_command_room(actor, event)


def require_unit(actor: Actor, unit_id: int, what: str, unit_name: Callable[[], str]) -> None:
    """403 unless the actor is of that unit (or an administrator); `what` names the thing
    ("task 12 belongs to"), `unit_name()` the unit (looked up only for the message)."""
    if actor.is_admin or unit_id == actor.unit_id:
        return
    raise Forbidden(f"{what} {unit_name()}; you are {actor.describe()}", field="unit")


def require_own_township(actor: Actor, unit: Unit, field: str) -> None:
    """A command room gives work to the units of its own township only."""
    if not actor.is_admin and unit.township_code != actor.township_code:
        raise Forbidden(
            f"{unit.name} ({unit.code}) is not a unit of your township {actor.township_code}; "
            f"you are {actor.describe()}; escalate to the county for other townships",
            field=field,
        )


def guard_summary(guard: Guard) -> str:
    """The first line of a guard's docstring, for the API docs."""
    return (guard.__doc__ or "").strip().splitlines()[0].rstrip(".")


def require_reveal(actor: Actor, event: Event, *, lead_unit_id: int | None) -> None:
    """403 unless the actor needs the reporter's personal data for this event: the command room
    of its township (or, for an event in no township, of the reporter's), the lead unit while it
    handles the event, the county centre while the event is escalated to it."""
    if actor.unit_kind is UnitKind.command_room and actor.role is Role.commander:
        township = event.township_code or event.reporter_township_code
        if township and township == actor.township_code:
            return
    if lead_unit_id is not None and actor.unit_id == lead_unit_id and actor.role in UNIT_STAFF:
        return
    if (
        actor.role is Role.county or actor.unit_kind is UnitKind.county_center
    ) and event.status is EventStatus.escalated:
        return
    raise Forbidden(
        "个人信息仅对事件所属指挥室、正在办理的主办单位和受理上报的县中心开放 (a reporter's "
        "personal data is for the event's command room, the lead unit while it handles the "
        f"event, and the county centre while it is escalated); you are {actor.describe()}",
        field="role",
    )


# --- indicators, assessments and reviews ---------------------------------------------------------

ASSESS_ROLES = frozenset({Role.commander, Role.viewer, Role.county, Role.admin})
"""Who may read indicators, assessments and reviews (within their scope)."""
PUBLISH_ROLES = frozenset({Role.commander, Role.county, Role.admin})
"""Who may run, publish assessments and write review conclusions: county or township leaders."""


def assessment_township(actor: Actor) -> str | None:
    """The township whose indicators, assessments and reviews the actor sees: a township sees
    its own villages, grids and units; the county centre and administrators see all (None).
    Drawn from the one visibility rule (`visibility.scope_of`): who sees every event sees the
    county's figures, who sees a township's events its township's."""
    if actor.role not in ASSESS_ROLES:
        raise Forbidden(
            "indicators and assessments are for the command room, the county centre and "
            f"viewers; you are {actor.describe()}",
            field="role",
        )
    scope = scope_of(actor)
    if scope.everything:
        return None
    if not scope.township:
        raise Forbidden(
            f"you see no township's events as a whole; you are {actor.describe()}", field="unit"
        )
    return scope.township


def require_in_scope(actor: Actor, township_code: str | None, field: str = "township") -> None:
    """403 unless `township_code` (None: the whole county) is within the actor's scope."""
    own = assessment_township(actor)
    if own is not None and township_code != own:
        what = f"township {township_code}" if township_code else "the whole county"
        raise Forbidden(
            f"you see township {own}, not {what}; you are {actor.describe()}", field=field
        )


def require_publish(actor: Actor, township_code: str | None) -> None:
    """Running, publishing and concluding: the county centre or an administrator for any scope;
    a commander of a command room for their own township's."""
    if actor.role not in PUBLISH_ROLES or (
        actor.role is Role.commander and actor.unit_kind is not UnitKind.command_room
    ):
        raise Forbidden(
            f"this is for county or township leaders (the command room's commanders, the county "
            f"centre); you are {actor.describe()}",
            field="role",
        )
    require_in_scope(actor, township_code)
