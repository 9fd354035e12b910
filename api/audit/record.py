"""Writing the audit log: one function, called in the transaction of what it records.

Imports nothing of the rooms it serves (users, events), so that any of them can record.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.orm import Session

from api.audit.models import AuditAction, AuditEntry


@dataclass(frozen=True)
class Who:
    """Who did it, as the log records them (an actor, or only a login that was tried)."""

    user_id: int | None
    login: str | None
    role: str | None
    unit_code: str | None

    @classmethod
    def of(cls, actor) -> Who:
        """From a signed-in `api.users.service.Actor`."""
        return cls(actor.id, actor.login, actor.role.value, actor.unit_code)


def record(
    session: Session,
    *,
    action: AuditAction,
    who,
    address: str | None,
    target: str | None = None,
    **details,
) -> None:
    """Append one entry (`who`: a Who, a signed-in Actor, or None); it commits (or not) with
    the caller's transaction."""
    if who is not None and not isinstance(who, Who):
        who = Who.of(who)
    session.execute(
        insert(AuditEntry).values(
            action=action,
            user_id=who.user_id if who else None,
            login=who.login if who else None,
            role=who.role if who else None,
            unit_code=who.unit_code if who else None,
            address=address,
            target=(target or "")[:200] or None,
            details=details,
        )
    )
