"""What every command shares: the console, clear failures, a ready database, progress bars.

Light to import: each command imports the application parts it needs when it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console


def _console(stderr: bool = False) -> Console:
    probe = Console(stderr=stderr)
    # Logs and pipes get wide lines instead of rich's 80-column default.
    return Console(stderr=stderr, highlight=False, width=None if probe.is_terminal else 160)


console = _console()
err_console = _console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` to stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def ready_database(*, migrate: bool = False) -> str:
    """Start the database if needed and check (or apply) the migrations; return its URL."""
    from api.database import ensure_database
    from api.embedded_pg import EmbeddedPostgresError
    from api.migrate import pending, upgrade
    from api.settings import get_settings

    try:
        url = ensure_database(get_settings(), log=lambda m: err_console.print(f"[dim]{m}[/]"))
    except EmbeddedPostgresError as exc:
        raise fail(str(exc)) from None
    current, head = pending(url)
    if current != head:
        if migrate:
            upgrade(url)
        else:
            raise fail(
                f"the database schema is at revision {current or 'none'}, the code needs {head}: "
                "run `shuxin db migrate`"
            )
    return url


@contextmanager
def progress_bar(description: str) -> Iterator:
    """A progress bar; yields a callback (stage, done, total) for long work."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(f"{description}: {stage}", total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update
