"""`shuxin boundaries`: import boundary files into sets, list sets, activate one."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from api import clock
from api.cli.common import console, err_console, fail, progress_bar, ready_database
from api.database import session_scope
from gis import boundaries
from gis.errors import GisError
from gis.levels import parse_level

app = typer.Typer(help="Boundary sets: import, sets, activate.", no_args_is_help=True)

_STYLE = {"error": "bold red", "warning": "yellow", "repair": "cyan"}


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="GeoJSON, Shapefile (.shp or .zip), GeoPackage, KML"),
    level: str = typer.Option(..., "--level", help="township, village, grid or microgrid"),
    code_field: str = typer.Option("code", help="Attribute holding each area's code"),
    name_field: str = typer.Option("name", help="Attribute holding each area's name"),
    parent_field: str | None = typer.Option(
        None,
        help="Attribute holding the parent's code; without it, parents are found by containment",
    ),
    crs: str | None = typer.Option(
        None,
        help="The file's CRS, overriding what it declares: EPSG:NNNN, wgs84, cgcs2000, "
        "gcj02 or bd09",
    ),
    set_name: str | None = typer.Option(
        None, "--set", help="Boundary set to import into (created inactive if new)"
    ),
    commit: bool = typer.Option(
        False, "--commit", help="Write the areas; without it, only report (dry run)"
    ),
    place_code: str | None = typer.Option(
        None,
        help="Code of the county (or place) the set covers, e.g. 330825 (default: from a "
        "county file, or the county code the township codes share)",
    ),
    place_name: str | None = typer.Option(
        None, help="Name of the county (or place) the set covers, e.g. 龙游县; the pages show it"
    ),
) -> None:
    """Validate a boundary file and, with --commit, store it in an inactive set."""
    try:
        area_level = parse_level(level)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    url = ready_database()
    name = set_name or boundaries.default_set_name(path, clock.now())
    with progress_bar(path.name) as progress, session_scope(url) as session:
        outcome = boundaries.import_boundaries(
            session,
            path=path,
            level=area_level,
            set_name=name,
            code_field=code_field,
            name_field=name_field,
            parent_field=parent_field,
            crs=crs,
            commit=commit,
            progress=progress,
            place_code=place_code,
            place_name=place_name,
        )
        if not outcome.committed:
            session.rollback()
    report = outcome.report
    for line in report.render().splitlines():
        style = next(
            (s for key, s in _STYLE.items() if line.lstrip().lower().startswith(key)), None
        )
        console.print(line, style=style, soft_wrap=True, markup=False)
    if not report.ok:
        err_console.print(
            f"[bold red]Import refused:[/] {len(report.errors)} error(s); "
            "the database was not changed."
        )
        raise typer.Exit(1)
    if outcome.committed:
        console.print(
            f"[green]Imported {outcome.written} {area_level.value} areas into set "
            f"{outcome.set_name!r}[/] (inactive until `shuxin boundaries activate "
            f"{outcome.set_name}`)."
        )
    else:
        console.print(
            f"Dry run: nothing was written. Add --commit to import into set {outcome.set_name!r}."
        )


@app.command("sets")
def sets() -> None:
    """List boundary sets with their counts per level; the active one is marked."""
    url = ready_database()
    with session_scope(url) as session:
        summaries = boundaries.list_sets(session)
    if not summaries:
        console.print("No boundary sets yet: `shuxin boundaries import FILE --level ... --commit`.")
        return
    levels = [lv for lv in summaries[0].counts if any(s.counts[lv] for s in summaries)]
    table = Table("", "set", "place", *levels, "created", "activated")
    for s in summaries:
        table.add_row(
            "*" if s.is_active else "",
            s.name,
            " ".join(x for x in (s.place_name, s.place_code and f"({s.place_code})") if x),
            *(str(s.counts[lv]) for lv in levels),
            f"{s.created_at:%Y-%m-%d %H:%M}",
            f"{s.activated_at:%Y-%m-%d %H:%M}" if s.activated_at else "",
        )
    console.print(table)
    console.print("* active: routes new events")


@app.command()
def activate(name: str = typer.Argument(..., help="The set to activate")) -> None:
    """Make a set the one that routes new events (the previous one stays, inactive)."""
    url = ready_database()
    try:
        with session_scope(url) as session:
            previous, current = boundaries.activate_set(session, name)
    except GisError as exc:
        raise fail(exc.message) from None
    if previous is not None and previous.id == current.id:
        console.print(f"Set {name!r} is already active.")
    else:
        was = f" (was {previous.name!r})" if previous else ""
        console.print(f"[green]Set {name!r} is now active[/]{was}: new events route with it.")
