"""Errors of the spatial core. They say what is wrong in words; the API decides the HTTP status."""

from __future__ import annotations


class GisError(Exception):
    """Base of the spatial core's errors; `kind` is one of invalid, not_found, conflict."""

    kind = "invalid"
    code = "gis_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BoundarySetNotFound(GisError):
    kind = "not_found"
    code = "boundary_set_not_found"


class AreaNotFound(GisError):
    kind = "not_found"
    code = "area_not_found"


class BoundarySetConflict(GisError):
    """The set cannot take this change (it is active, or already holds the level)."""

    kind = "conflict"
    code = "boundary_set_conflict"


class NoActiveBoundarySet(GisError):
    kind = "conflict"
    code = "no_active_boundary_set"
