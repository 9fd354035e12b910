"""Routing for the application: the in-memory router of the active set, kept in step with it."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.settings import get_settings
from gis.boundaries import active_set_token, build_router
from gis.errors import NoActiveBoundarySet
from gis.router import GridRouter, RouteResult

log = logging.getLogger("shuxin.routing")


@dataclass
class _Cached:
    token: tuple | None = None
    router: GridRouter | None = None
    loaded: bool = False  # False until the first look at the database


_cache = _Cached()
_lock = threading.Lock()


def current_router(session: Session) -> GridRouter | None:
    """The router of the active set; rebuilt in this process as soon as another set is active.

    Each call reads the active set's (id, activation time): one indexed row, so every worker
    follows an activation from its next request on.
    """
    return router_for_token(session, active_set_token(session))


def router_for_token(session: Session, token: tuple | None) -> GridRouter | None:
    """The router of the set with this (id, activation time) token, rebuilt when it changed."""
    if _cache.loaded and token == _cache.token:
        return _cache.router
    with _lock:
        if not _cache.loaded or token != _cache.token:
            tolerance = get_settings().routing_tolerance_m
            router = build_router(session, tolerance_m=tolerance) if token else None
            _cache.router, _cache.token, _cache.loaded = router, token, True
            if router is not None:
                log.info("routing with boundary set %r (%d grids)", router.set_name, len(router))
    return _cache.router


def cached_router() -> tuple[bool, tuple | None, GridRouter | None]:
    """(known, token, router) as this process last saw them, without asking the database.

    For callers that check the token themselves in a statement they run anyway (intake).
    """
    return _cache.loaded, _cache.token, _cache.router


def route_point(*, session: Session, lon: float, lat: float, crs: str = "wgs84") -> RouteResult:
    """Route one point against the active set; NoActiveBoundarySet if none is active."""
    router = current_router(session)
    if router is None:
        raise NoActiveBoundarySet(
            "no boundary set is active, so points cannot be routed; import boundaries and "
            "activate a set (shuxin boundaries activate NAME)"
        )
    return router.route(lon, lat, crs)
