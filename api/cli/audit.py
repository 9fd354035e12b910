"""`shuxin audit`: read the access audit log."""

from __future__ import annotations

import typer

from api.cli.common import console, fail, ready_database


def audit(
    since: str = typer.Option(..., help='From when, e.g. "2026-12-01" or "2026-12-01 08:00"'),
    until: str | None = typer.Option(None, help="Until when (default: now)"),
    action: str | None = typer.Option(
        None, help="sign_in, sign_in_failed, reveal, export, forbidden ..."
    ),
    login: str | None = typer.Option(None, help="Only this login"),
    limit: int = typer.Option(200, min=1, max=10000, help="At most this many entries"),
) -> None:
    """Print the access audit log: sign-ins, reveals, exports, user and mode changes, refusals."""
    from datetime import datetime

    from rich.table import Table
    from sqlalchemy import select

    from api import clock
    from api.audit.models import AuditAction, AuditEntry
    from api.database import session_scope

    try:
        start = clock.aware(datetime.fromisoformat(since))
        end = clock.aware(datetime.fromisoformat(until)) if until else None
    except ValueError:
        raise fail('--since/--until must look like "2026-12-01 08:00"', 2) from None
    if action is not None and action not in AuditAction.__members__:
        raise fail(f"--action must be one of {', '.join(AuditAction)}; got {action!r}", 2)
    url = ready_database()
    query = select(AuditEntry).where(AuditEntry.at >= start).order_by(AuditEntry.id)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    if action is not None:
        query = query.where(AuditEntry.action == AuditAction(action))
    if login is not None:
        query = query.where(AuditEntry.login == login)
    with session_scope(url) as session:
        rows = list(session.scalars(query.limit(limit)))
    table = Table("time", "action", "login", "role", "unit", "address", "target", "details")
    for e in rows:
        table.add_row(
            f"{clock.local(e.at):%Y-%m-%d %H:%M:%S}", e.action.value, e.login or "",
            e.role or "", e.unit_code or "", e.address or "", e.target or "",
            ", ".join(f"{k}={v}" for k, v in (e.details or {}).items()),
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(rows)} entries")
