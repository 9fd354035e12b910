"""The Shuxin web application: API, pages and static files."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from api.assessments.routes import router as assessments_router
from api.attachments.routes import router as attachments_router
from api.audit.models import AuditAction
from api.audit.record import record
from api.audit.routes import router as audit_router
from api.boundaries.routes import router as boundaries_router
from api.categories.routes import router as categories_router
from api.database import database_url, session_scope
from api.deps import Tx, get_transactions
from api.embedded_pg import libpq_url
from api.errors import DomainError, install_error_handlers
from api.events.action_routes import router as actions_router
from api.events.routes import router as events_router
from api.indicators.routes import router as indicators_router
from api.mode.routes import router as mode_router
from api.ogc.routes import router as ogc_router
from api.open311.routes import router as open311_router
from api.pages.routes import router as pages_router
from api.patrols.routes import router as patrols_router
from api.pois.routes import router as pois_router
from api.reviews.routes import router as reviews_router
from api.routing.routes import router as routing_router
from api.scheduler import SweepThread
from api.screen.index import event_index
from api.screen.routes import router as screen_router
from api.settings import get_settings
from api.supervision.routes import router as supervision_router
from api.units.routes import router as units_router
from api.users.routes import router as users_router
from api.users.sessions import start_listening
from api.worktime.routes import router as worktime_router
from map_ui.vendor import STATIC_DIR


def _preload_screen_index() -> None:
    """Load the screen's event index before the first screen asks (a million rows: seconds)."""
    try:
        with session_scope() as session:
            event_index().current(session)
    except Exception:  # noqa: BLE001 - the screen loads it on first use instead
        logging.getLogger("shuxin.screen").exception("preloading the screen index failed")


def _listen_connection():
    import psycopg2

    return psycopg2.connect(libpq_url(database_url()))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    interval = get_settings().sweep_interval_s
    thread = SweepThread(interval) if interval > 0 else None
    if thread:
        thread.start()
    listener = start_listening(_listen_connection)
    threading.Thread(target=_preload_screen_index, name="shuxin-screen-index", daemon=True).start()
    yield
    listener.stop()
    if thread:
        thread.stop()


async def _audit_refusal(request: Request, exc: DomainError) -> None:
    """Every 403 goes into the audit log, in a transaction of its own (the request's was
    rolled back)."""
    actor = getattr(request.state, "actor", None)
    transactions = await request.app.dependency_overrides.get(get_transactions, get_transactions)()
    address = request.client.host if request.client else None
    try:
        await transactions(
            lambda s: record(
                s, action=AuditAction.forbidden, who=actor, address=address,
                target=f"{request.method} {request.url.path}"[:200], message=exc.message[:500],
            )
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - the refusal is answered even if it cannot be recorded
        logging.getLogger("shuxin.audit").exception("could not record a refusal")


def create_app() -> FastAPI:
    """Build the application."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = FastAPI(
        title="Shuxin 舒心 — township command room API",
        version="0.1.0",
        description="Boundaries, routing, events and the closed loop of a township command "
        "room (乡镇综合信息指挥室).",
        lifespan=lifespan,
    )
    install_error_handlers(app, on_forbidden=_audit_refusal)
    for router in (
        pages_router,
        users_router,
        boundaries_router,
        routing_router,
        categories_router,
        units_router,
        events_router,
        actions_router,
        attachments_router,
        screen_router,
        mode_router,
        pois_router,
        ogc_router,
        open311_router,
        audit_router,
        patrols_router,
        supervision_router,
        worktime_router,
        indicators_router,
        assessments_router,
        reviews_router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/health", tags=["health"])
    async def health(tx: Tx) -> dict:
        """Liveness, database reachability, and whether the screen's index is loaded."""
        await tx(lambda s: s.execute(text("SELECT 1")))
        return {"status": "ok", "screen_index": "ready" if event_index().ready else "loading"}

    return app


app = create_app()
