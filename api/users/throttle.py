"""Sign-in that resists guessing: failures counted per login and per address, then a lock.

After `sign_in_max_failures` failed sign-ins of one login (or `..._per_address` from one address,
whatever the logins) within the lock time, further attempts are refused (429 with Retry-After)
without looking at the password, for `sign_in_lock_minutes`; each further lock of the same key
lasts twice as long (at most a day). A correct sign-in clears its login's count (not the
address's: an attacker's own account must not wash a guessing address clean). The counts live
in PostGIS, so every worker sees them.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.errors import DomainError
from api.settings import Settings
from api.users.models import SignInFailures

MAX_LOCK = timedelta(days=1)


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, field="username", retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


def _keys(login: str, address: str | None) -> dict[str, str]:
    keys = {"login": f"login:{login.strip().lower()[:150]}"}
    if address:
        keys["address"] = f"address:{address[:150]}"
    return keys


def check(session: Session, *, login: str, address: str | None, now: datetime) -> None:
    """TooManyAttempts if the login or the address is locked now."""
    keys = _keys(login, address)
    locked = session.scalars(
        select(SignInFailures.locked_until).where(
            SignInFailures.key.in_(list(keys.values())), SignInFailures.locked_until > now
        )
    ).all()
    if locked:
        wait = max(locked) - now
        minutes = math.ceil(wait.total_seconds() / 60)
        raise TooManyAttempts(
            f"登录失败次数过多，请 {minutes} 分钟后再试 (too many failed sign-ins: try again in "
            f"{minutes} min)",
            retry_after_s=max(1, math.ceil(wait.total_seconds())),
        )


def failed(
    session: Session, *, login: str, address: str | None, now: datetime, settings: Settings
) -> bool:
    """Count a failure of the login and the address; True if either is now locked."""
    lock = timedelta(minutes=settings.sign_in_lock_minutes)
    limits = {
        "login": settings.sign_in_max_failures,
        "address": settings.sign_in_max_failures_per_address,
    }
    locked_now = False
    for kind, key in _keys(login, address).items():
        row = session.scalar(
            insert(SignInFailures)
            .values(key=key, failures=1, last_at=now)
            .on_conflict_do_update(
                index_elements=[SignInFailures.key],
                set_={
                    # Failures older than a lock's length are forgotten.
                    "failures": _recent_count(lock, now),
                    "last_at": now,
                },
            )
            .returning(SignInFailures)
        )
        if row.failures >= limits[kind]:
            row.locked_until = now + min(lock * 2**row.locks, MAX_LOCK)
            row.locks += 1
            row.failures = 0
            locked_now = True
    session.flush()
    return locked_now


def _recent_count(lock: timedelta, now: datetime):
    return case(
        (SignInFailures.last_at < now - lock, 1),
        else_=SignInFailures.failures + 1,
    )


def succeeded(session: Session, *, login: str) -> None:
    """A correct sign-in: the login's failures are forgotten."""
    session.execute(delete(SignInFailures).where(SignInFailures.key == _keys(login, None)["login"]))
