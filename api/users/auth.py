"""Signing in, renewing, signing out and changing a password: what the API routes and the pages
share (the rules themselves are in api/users/service.py, throttle.py and sessions.py)."""

from __future__ import annotations

from fastapi import Response

from api import clock
from api.audit.models import AuditAction
from api.audit.record import record
from api.deps import TOKEN_COOKIE, SignedIn, Transactions
from api.settings import Settings
from api.users import service, sessions
from api.users.schemas import TokenOut
from api.users.security import issue_token
from api.users.service import Actor, Unauthorized
from api.users.throttle import TooManyAttempts


def _token_out(actor: Actor, version: int, settings: Settings, **session) -> TokenOut:
    token, claims = issue_token(
        user_id=actor.id, role=actor.role.value, version=version, settings=settings, **session
    )
    return TokenOut(access_token=token, expires_at=claims.expires.isoformat(), user=actor.to_out())


async def sign_in_or_refuse(
    *, tx: Transactions, login: str, password: str, address: str | None, settings: Settings
) -> TokenOut:
    """A token for a correct login and password; 401 (or 429 once locked) otherwise. The
    failure's count and audit entry are committed before the refusal."""
    result = await tx(
        lambda s: service.sign_in(
            session=s, login=login, password=password, address=address, settings=settings
        )
    )
    if result.actor is None:
        if result.locked_now:
            minutes = settings.sign_in_lock_minutes
            raise TooManyAttempts(
                f"登录失败次数过多，账号已锁定 {minutes:g} 分钟 (too many failed sign-ins: "
                f"locked for {minutes:g} min)",
                retry_after_s=int(minutes * 60),
            )
        raise Unauthorized(service.WRONG, field="password")
    return _token_out(result.actor, result.version, settings)


def renew(signed: SignedIn, *, settings: Settings) -> TokenOut:
    """The same session, a new token: until the session is too old."""
    age = clock.now() - signed.claims.auth_time
    if age.total_seconds() > settings.session_max_hours * 3600:
        raise Unauthorized("登录时间过长，请重新登录 (the session is too old: sign in again)")
    return _token_out(
        signed.actor, signed.claims.version, settings,
        session_id=signed.claims.session_id, auth_time=signed.claims.auth_time,
    )  # fmt: skip


async def change_password(
    *,
    tx: Transactions,
    signed: SignedIn,
    current: str,
    new: str,
    address: str | None,
    settings: Settings,
) -> TokenOut:
    """Change the password; this session goes on with a token of the new version."""

    def work(session):
        version = service.change_password(
            session=session, actor=signed.actor, current=current, new=new, address=address
        )
        return service.actor_for(session, signed.actor.id), version

    actor, version = await tx(work)
    return _token_out(
        actor, version, settings,
        session_id=signed.claims.session_id, auth_time=signed.claims.auth_time,
    )  # fmt: skip


async def sign_out(*, tx: Transactions, signed: SignedIn, address: str | None) -> None:
    """End the session of this token."""

    def work(session):
        sessions.end_session(
            session, user_id=signed.actor.id, session_id=signed.claims.session_id,
            expires=signed.claims.expires,
        )  # fmt: skip
        record(session, action=AuditAction.sign_out, who=signed.actor, address=address,
               target=f"user {signed.actor.login}")  # fmt: skip

    await tx(work)


def set_cookie(response: Response, token: str, settings: Settings) -> None:
    """The pages' sign-in cookie: HttpOnly, SameSite=Strict, Secure over HTTPS."""
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.https,
        max_age=settings.token_ttl_minutes * 60,
        path="/",
    )
