"""`shuxin users`, `shuxin units`, `shuxin categories`, `shuxin pois`, `shuxin sweep`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from api import clock
from api.categories.service import DEFAULT_PLATFORMS, load_catalog
from api.cli.common import console, fail, ready_database
from api.database import session_scope
from api.errors import DomainError
from api.pois.models import PoiKind
from api.pois.service import load_pois, read_points
from api.supervision.service import sweep as run_sweep
from api.units.models import UnitKind
from api.units.service import list_units, sync_units
from api.users.models import Role
from api.users.service import create_user
from gis.boundaries import active_set

users = typer.Typer(help="People who sign in.", no_args_is_help=True)
units = typer.Typer(
    help="Units: command room, platforms, departments, villages, grids.", no_args_is_help=True
)
categories = typer.Typer(help="The category catalog.", no_args_is_help=True)


@users.command("create")
def users_create(
    login: str = typer.Argument(..., help="Sign-in name"),
    role: Role = typer.Option(..., help="commander, handler, grid_worker, county, viewer, admin"),
    unit: str | None = typer.Option(None, help="Unit code (every role but admin has one)"),
    password: str | None = typer.Option(
        None,
        help="At least 10 characters, not the login, not a common password; default: generated",
    ),
    name: str | None = typer.Option(None, help="Display name (default: the login)"),
) -> None:
    """Create a user; the password is printed when it was generated."""
    url = ready_database()
    try:
        with session_scope(url) as session:
            user, secret = create_user(
                session=session,
                login=login,
                role=role,
                unit_code=unit,
                password=password,
                display_name=name,
                by=_operator(),
            )
    except DomainError as exc:
        raise fail(exc.message) from None
    console.print(f"Created {user.login} ({role.value}{', ' + unit if unit else ''}).")
    if password is None:
        console.print(f"Password: {secret}  (give it to the user; it is not shown again)")


@users.command("list")
def users_list() -> None:
    """List users: login, role, unit, whether active, when they last signed in."""
    from api.users.service import list_users

    url = ready_database()
    with session_scope(url) as session:
        rows = list_users(session=session)
    table = Table("login", "name", "role", "unit", "active", "must change password",
                  "last sign-in")  # fmt: skip
    for u in rows:
        table.add_row(
            u.login, u.display_name, u.role.value, u.unit_code or "", "yes" if u.active else "no",
            "yes" if u.must_change_password else "",
            f"{clock.local(u.last_sign_in_at):%Y-%m-%d %H:%M}" if u.last_sign_in_at else "",
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(rows)} users")


@users.command("disable")
def users_disable(login: str = typer.Argument(..., help="Sign-in name")) -> None:
    """Disable a user: every sign-in of theirs ends at once; nothing is deleted."""
    from api.users.service import disable_user

    url = ready_database()
    try:
        with session_scope(url) as session:
            disable_user(session=session, login=login, by=_operator())
    except DomainError as exc:
        raise fail(exc.message) from None
    console.print(f"Disabled {login}: their sign-ins ended.")


@users.command("reset-password")
def users_reset_password(
    login: str = typer.Argument(..., help="Sign-in name"),
    password: str | None = typer.Option(
        None, help="The new password (default: generated, printed once)"
    ),
) -> None:
    """Give a user a new password, to be changed at their next sign-in; their sign-ins end."""
    from api.users.service import reset_password

    url = ready_database()
    try:
        with session_scope(url) as session:
            new = reset_password(session=session, login=login, by=_operator(), password=password)
    except DomainError as exc:
        raise fail(exc.message) from None
    console.print(f"New password for {login} set; their sign-ins ended.")
    if password is None:
        console.print(f"Password: {new}  (give it to the user; it is not shown again)")


def _operator():
    """Who runs the command, for the audit log: the operating-system account."""
    import getpass

    from api.audit.record import Who

    return Who(None, f"os:{getpass.getuser()}"[:64], "cli", None)


@units.command("list")
def units_list(
    kind: UnitKind | None = typer.Option(None, help="Only this kind"),
    township: str | None = typer.Option(None, help="Only this township code"),
) -> None:
    """List units with their codes, kinds and areas."""
    url = ready_database()
    with session_scope(url) as session:
        rows = list_units(session=session, kind=kind, township=township)
    table = Table("code", "name", "kind", "township", "areas")
    for u in rows:
        table.add_row(u.code, u.name, u.kind, u.township_code or "", ",".join(u.area_codes))
    console.print(table)
    console.print(f"{len(rows)} units")


@units.command("sync")
def units_sync(
    county_code: str | None = typer.Option(
        None, help="County code (default: the place the active boundary set covers)"
    ),
    county_name: str | None = typer.Option(
        None, help="County name (default: the place the active boundary set covers)"
    ),
) -> None:
    """Create the units of the active boundary set (existing units are kept)."""
    url = ready_database()
    try:
        with session_scope(url) as session:
            current = active_set(session)
            if current is None:
                raise fail("no boundary set is active: activate one first")
            result = sync_units(
                session=session,
                set_id=current.id,
                county_code=county_code,
                county_name=county_name,
            )
    except DomainError as exc:
        raise fail(exc.message) from None
    console.print(f"{result.created} units created ({result.total} in the set's plan).")


@categories.command("load")
def categories_load(
    file: Path = typer.Argument(
        ...,
        help="CSV: code,name,parent_code,platform,urgencies,"
        "acknowledge_limit,handle_limit,urgent_handle_limit",
    ),
    platforms: Path = typer.Option(
        DEFAULT_PLATFORMS, help="CSV of platforms: code,name,sort_order"
    ),
) -> None:
    """Load (insert or update) the category catalog; codes missing from the file are
    deactivated, never deleted."""
    for path in (file, platforms):
        if not path.exists():
            raise fail(f"{path} does not exist")
    url = ready_database()
    try:
        with session_scope(url) as session:
            result = load_catalog(session=session, categories_path=file, platforms_path=platforms)
    except DomainError as exc:
        raise fail(f"{exc.message}\nNothing was changed.") from None
    console.print(
        f"Loaded {result.categories} categories and {result.platforms} platforms; "
        f"{result.deactivated} deactivated."
    )


def sweep() -> None:
    """Mark tasks at risk and overdue now, and issue reminders and supervision orders."""
    url = ready_database()
    with session_scope(url) as session:
        result = run_sweep(session=session, now=clock.now())
    if not result.ran:
        console.print("Another sweep is running; nothing done.")
        return
    console.print(
        f"{result.overdue_events} events newly overdue (supervision orders issued), "
        f"{result.at_risk_events} newly at risk (reminders sent)."
    )


pois = typer.Typer(help="Hazard points and shelters on the map.", no_args_is_help=True)


@pois.command("import")
def pois_import(
    file: Path = typer.Argument(..., help="CSV with lon/lat columns, or GeoJSON/Shapefile/GPKG"),
    kind: PoiKind = typer.Option(..., help="geohazard, dangerous_house, reservoir or shelter"),
    code_field: str = typer.Option("code", help="Column of each point's code"),
    name_field: str = typer.Option("name", help="Column of each point's name"),
    lon: str = typer.Option("lon", help="CSV: longitude column"),
    lat: str = typer.Option("lat", help="CSV: latitude column"),
    crs: str | None = typer.Option(None, help="The file's CRS (CSV default: wgs84)"),
) -> None:
    """Load points (insert or update by code); each is placed in its village and township."""
    url = ready_database()
    try:
        frame = read_points(file, lon_field=lon, lat_field=lat, crs=crs)
        with session_scope(url) as session:
            result = load_pois(
                session=session,
                kind=kind,
                frame=frame,
                code_field=code_field,
                name_field=name_field,
                source_file=file.name,
            )
    except DomainError as exc:
        raise fail(f"{exc.message}\nNothing was changed.") from None
    console.print(
        f"Loaded {result.loaded} {kind.label_zh} ({kind.value}); "
        f"{result.outside} lie outside every grid."
    )
