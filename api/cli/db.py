"""`shuxin db`: the embedded PostGIS cluster and the schema."""

from __future__ import annotations

import typer

from api.categories.service import ensure_default_catalog
from api.cli.common import console, fail, ready_database
from api.database import database_url, embedded_cluster, session_scope
from api.embedded_pg import EmbeddedPostgresError
from api.settings import get_settings

app = typer.Typer(help="The database: start, stop, status, url, migrate.", no_args_is_help=True)


def _external() -> bool:
    return bool(get_settings().database_url)


@app.command()
def start() -> None:
    """Start the embedded PostGIS cluster (created on first start)."""
    if _external():
        console.print("Using the external database SHUXIN_DATABASE_URL; nothing to start.")
        return
    try:
        cluster = embedded_cluster()
        cluster.start(log=console.print)
    except EmbeddedPostgresError as exc:
        raise fail(str(exc)) from None
    console.print(f"PostgreSQL is running: {cluster.libpq_url()}")


@app.command()
def stop() -> None:
    """Stop the embedded cluster."""
    if _external():
        console.print("Using an external database; Shuxin does not stop it.")
        return
    stopped = embedded_cluster().stop()
    console.print("PostgreSQL stopped." if stopped else "PostgreSQL was not running.")


@app.command()
def status() -> None:
    """Say whether the database is running, and where."""
    if _external():
        console.print("external database (SHUXIN_DATABASE_URL)")
        return
    cluster = embedded_cluster()
    state = cluster.status()
    if not state.initialised:
        console.print(f"not created yet (it will live in {state.data_dir}); run `shuxin db start`")
        raise typer.Exit(3)
    console.print(
        f"{'running' if state.running else 'stopped'}: data {state.data_dir}, "
        f"socket {state.socket_dir}, log {state.log_file}"
    )
    if not state.running:
        raise typer.Exit(3)


@app.command()
def url() -> None:
    """Print the database URL (psql understands it)."""
    if _external():
        console.print(database_url(), soft_wrap=True)
    else:
        console.print(embedded_cluster().libpq_url(), soft_wrap=True)


@app.command()
def migrate() -> None:
    """Apply the schema migrations and load the default category catalog into an empty one."""
    url_ = ready_database(migrate=True)
    with session_scope(url_) as session:
        loaded = ensure_default_catalog(session=session)
    console.print("The schema is up to date.")
    if loaded:
        console.print(
            f"Loaded the default catalog: {loaded.platforms} platforms, "
            f"{loaded.categories} categories."
        )
