"""The errors of the event rooms, shared by intake, the closed loop and every reader."""

from __future__ import annotations

from api.errors import Conflict, NotFound


class EventNotFound(NotFound):
    """No such event, or not one the actor may see: the same answer for both, so that an
    event's existence does not leak to who may not see it."""

    code = "event_not_found"


class StaleVersion(Conflict):
    code = "stale_version"


class IllegalTransition(Conflict):
    code = "illegal_transition"
