"""`shuxin demo` and `shuxin serve`."""

from __future__ import annotations

import typer
import uvicorn
from rich.table import Table

from api.cli.common import console, progress_bar, ready_database
from api.database import session_scope
from api.demo.people import DEMO_PASSWORD
from api.demo.service import load_demo
from api.settings import get_settings


def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default from settings)"),
    port: int | None = typer.Option(None, help="Port (default from settings)"),
    workers: int = typer.Option(1, min=1, help="Worker processes"),
) -> None:
    """Serve the API and the map (starts the database if needed)."""
    ready_database()
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    _print_urls(host, port)
    uvicorn.run(
        "api.main:app", host=host, port=port, workers=workers, log_level="info", access_log=False
    )


def demo(
    events: int = typer.Option(3000, min=0, help="Demo events to have in the database"),
    serve_: bool = typer.Option(True, "--serve/--no-serve", help="Serve after loading"),
    host: str | None = typer.Option(None, help="Address to listen on"),
    port: int | None = typer.Option(None, help="Port"),
) -> None:
    """Load the Longyou demo (synthetic boundaries, real names and codes; demo events)."""
    url = ready_database(migrate=True)
    with progress_bar("demo") as progress, session_scope(url) as session:
        result = load_demo(session=session, events=events, progress=progress)
    if result.boundaries_loaded:
        console.print(
            f"Loaded and activated boundary set {result.boundary_set!r} "
            "(synthetic polygons, real Longyou names and codes)."
        )
    else:
        console.print(f"Boundary set {result.boundary_set!r} was already loaded.")
    console.print(f"Events: {result.events_added} added, {result.events_total} in the database.")
    if result.units_created:
        console.print(
            f"Units: {result.units_created} created (command rooms, platforms, "
            "departments, villages, grids)."
        )
    if result.states:
        states = ", ".join(f"{k} {v}" for k, v in sorted(result.states.items()))
        console.print(f"Taken through the closed loop: {states}.")
    table = Table(
        "login",
        "role",
        "unit",
        "what they can try",
        title=f"Demo users (password "
        f"{DEMO_PASSWORD}; every township also has zhs_<code>, every platform and "
        "department h_<unit code>)",
    )
    for login in result.logins:
        table.add_row(login.login, login.role, login.unit, login.what)
    console.print(table)
    if serve_:
        serve(host=host, port=port, workers=1)


def _print_urls(host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    console.print(
        f"[bold]Shuxin is serving:[/]\n  command screen  {base}/screen\n  map             {base}/\n"
        f"  API docs        {base}/docs\n  health          {base}/health"
    )
