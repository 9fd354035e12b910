"""`shuxin indicators` and `shuxin assessments`: the evaluation side from the command line.

The command line acts as an administrator (it runs on the server, as the operator); the figures
are the same the API answers.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from api.cli.common import console, fail, ready_database

assessments = typer.Typer(help="Assessment schemes and assessments.", no_args_is_help=True)
schemes = typer.Typer(help="Assessment schemes (考核方案).", no_args_is_help=True)
assessments.add_typer(schemes, name="schemes")

BY = ("county", "township", "village", "grid", "platform", "unit", "person", "category")
SHOWN = ("reported", "accepted", "due", "close_rate", "handle_on_time_rate", "rework_rate",
         "return_rate", "satisfaction_rate", "overdue", "supervision")  # fmt: skip


def _operator():
    from api.users.models import Role
    from api.users.service import Actor

    return Actor(0, "shuxin", "命令行", Role.admin, None, None, None, None, None, ())


def indicators(
    period: str = typer.Option(..., help="2026-11-26, 2026-W48, 2026-11, 2026-Q4, 2026, A..B"),
    by: str = typer.Option("county", help=f"Group by: {', '.join(BY)}"),
    township: str | None = typer.Option(None, help="Only this township"),
    mode: str = typer.Option("all", help="all, emergency or peacetime"),
    csv: bool = typer.Option(False, "--csv", help="Every indicator as CSV on stdout"),
) -> None:
    """Print the indicators of a period (结案率, 按期处置率 ...) per group."""
    from api import clock
    from api.database import session_scope
    from api.errors import DomainError
    from api.indicators.definitions import BY_KEY
    from api.indicators.exports import indicators_csv
    from api.indicators.periods import parse_period
    from api.indicators.service import Scope, compute

    url = ready_database()
    try:
        span = parse_period(period)
        with session_scope(url) as session:
            table = compute(
                session=session,
                actor=_operator(),
                period=span,
                by=by,
                scope=Scope(township=township, mode=mode),
                now=clock.now(),
            )
    except DomainError as exc:
        raise fail(exc.message) from None
    if csv:
        typer.echo(indicators_csv(table).lstrip("\ufeff"), nl=False)
        return
    out = Table(title=f"{span.label} (as of {clock.local(table.as_of):%Y-%m-%d %H:%M}), by {by}")
    out.add_column("code")
    out.add_column("name")
    for key in SHOWN:
        out.add_column(
            f"{BY_KEY[key].name}" + ("%" if BY_KEY[key].unit == "%" else ""), justify="right"
        )
    for group in [*table.groups, table.total]:
        values = [group.figures[k].value for k in SHOWN]
        out.add_row(group.code, group.name, *("—" if v is None else f"{v:g}" for v in values))
    console.print(out)


@schemes.command("load")
def schemes_load(
    file: Path = typer.Argument(..., help="A scheme in TOML (see the default)"),
) -> None:
    """Load an assessment scheme from a file (the same code again: a new version)."""
    from api import clock
    from api.assessments.service import load_scheme_text
    from api.database import session_scope
    from api.errors import DomainError

    if not file.is_file():
        raise fail(f"no such file: {file}")
    url = ready_database()
    try:
        with session_scope(url) as session:
            scheme = load_scheme_text(
                session=session,
                text_=file.read_text(encoding="utf-8"),
                by="命令行",
                now=clock.now(),
            )
            code, version, name = scheme.code, scheme.version, scheme.name
    except DomainError as exc:
        raise fail(exc.message) from None
    console.print(f"Loaded scheme {code} version {version}: {name}")


@schemes.command("list")
def schemes_list() -> None:
    """List the loaded schemes and their versions."""
    from api.assessments.service import list_schemes
    from api.database import session_scope

    url = ready_database()
    with session_scope(url) as session:
        for s in list_schemes(session):
            console.print(f"{s.code} v{s.version}  {s.name}  ({s.loaded_at:%Y-%m-%d %H:%M})")


@assessments.command("run")
def assessments_run(
    period: str = typer.Option(..., help="2026-11 ..."),
    level: str = typer.Option(..., help="township, village, grid or unit"),
    township: str | None = typer.Option(None, help="The township (not for level township)"),
    scheme: str = typer.Option("default", help="Scheme code"),
    publish: bool = typer.Option(False, "--publish", help="Publish it at once (frozen)"),
) -> None:
    """Run an assessment into a draft (and publish it with --publish)."""
    from api import clock
    from api.assessments import service
    from api.database import session_scope
    from api.errors import DomainError
    from api.indicators.periods import parse_period

    url = ready_database()
    try:
        with session_scope(url) as session:
            actor = _operator()
            a = service.run(
                session=session,
                actor=actor,
                scheme_code=scheme,
                level=level,
                township=township,
                period=parse_period(period),
                now=clock.now(),
            )
            if publish:
                service.publish(session=session, actor=actor, assessment_id=a.id, now=clock.now())
            rows = service.rows_of(session, a)
            console.print(f"Assessment {a.id} ({a.state.value}), {len(rows)} ranked:")
            for r in rows:
                console.print(
                    f"  {r.rank:>3}  {r.subject_code:<18} {r.subject_name:<16} "
                    f"{r.score:>6.2f} {r.grade}"
                )
    except DomainError as exc:
        raise fail(exc.message) from None


@assessments.command("publish")
def assessments_publish(assessment_id: int = typer.Argument(...)) -> None:
    """Publish a draft assessment: it is frozen from then on."""
    from api import clock
    from api.assessments import service
    from api.database import session_scope
    from api.errors import DomainError

    url = ready_database()
    try:
        with session_scope(url) as session:
            service.publish(
                session=session, actor=_operator(), assessment_id=assessment_id, now=clock.now()
            )
    except DomainError as exc:
        raise fail(exc.message) from None
    console.print(f"Assessment {assessment_id} published.")
