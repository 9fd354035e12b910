"""`shuxin route` and `shuxin route-file`: route points to grids with the active set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from api.cli.common import console, fail, progress_bar, ready_database

if TYPE_CHECKING:
    from gis.router import GridRouter


def _router() -> GridRouter:
    """The active set's router, read with psycopg2 alone (no SQLAlchemy: `shuxin route` must
    answer at once), from the query the application uses too."""
    import psycopg2

    from api.embedded_pg import libpq_url
    from api.settings import get_settings
    from gis.grid_source import ACTIVE_GRIDS_SQL, router_from_rows

    url = ready_database()
    with psycopg2.connect(libpq_url(url)) as connection, connection.cursor() as cursor:
        cursor.execute(ACTIVE_GRIDS_SQL)
        rows = cursor.fetchall()
    connection.close()
    router = router_from_rows(rows, tolerance_m=get_settings().routing_tolerance_m)
    if router is None:
        raise fail(
            "no boundary set is active: import boundaries and run `shuxin boundaries activate NAME`"
        )
    return router


def route(
    lon: float = typer.Argument(..., help="Longitude (or easting for a projected EPSG crs)"),
    lat: float = typer.Argument(..., help="Latitude (or northing)"),
    crs: str = typer.Option("wgs84", help="wgs84, cgcs2000, gcj02, bd09 or EPSG:NNNN"),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON"),
) -> None:
    """Route one point to its grid, village and township, and say how."""
    from api.routing.schemas import RouteOut
    from gis.router import InvalidCoordinates

    router = _router()
    try:
        result = router.route(lon, lat, crs)
    except InvalidCoordinates as exc:
        raise fail(str(exc)) from None
    out = RouteOut.from_result(result)
    if as_json:
        console.print_json(out.model_dump_json())
        return
    console.print(f"{out.method}: {out.explanation}")
    for label, ref in (("grid", out.grid), ("village", out.village), ("township", out.township)):
        if ref:
            console.print(f"  {label:9} {ref.code}  {ref.name or ''}")
    console.print(f"  set       {out.boundary_set}")


def route_file(
    in_path: Path = typer.Argument(..., help="CSV file with a longitude and a latitude column"),
    lon: str = typer.Option(..., "--lon", help="Longitude column"),
    lat: str = typer.Option(..., "--lat", help="Latitude column"),
    crs: str = typer.Option("wgs84", help="wgs84, cgcs2000, gcj02, bd09 or EPSG:NNNN"),
    out_path: Path = typer.Option(..., "-o", "--output", help="CSV file to write"),
) -> None:
    """Append grid_code, village_code, township_code, routing_method, distance_m to each row."""
    import pandas as pd

    from gis.bulk import route_frame

    if not in_path.exists():
        raise fail(f"{in_path} does not exist")
    try:
        frame = pd.read_csv(in_path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise fail(f"{in_path} is not a readable CSV file: {exc}") from None
    router = _router()
    try:
        with progress_bar(in_path.name) as progress:
            routed = route_frame(
                frame, router=router, lon_column=lon, lat_column=lat, crs=crs, progress=progress
            )
    except (KeyError, ValueError) as exc:
        raise fail(str(exc).strip('"')) from None
    routed.to_csv(out_path, index=False)
    counts = Counter(routed["routing_method"])
    summary = ", ".join(f"{k} {v}" for k, v in counts.most_common())
    console.print(
        f"Routed {len(routed)} rows with set {router.set_name!r} into {out_path}: {summary}."
    )
    if counts.get("invalid"):
        console.print(
            f"[yellow]{counts['invalid']} rows have invalid coordinates "
            "(missing, out of range or swapped): routing_method=invalid.[/]"
        )
