"""FastAPI dependencies, written once: the unit of work, the settings, the signed-in user.

Routes are `async def` and hand their work to `Tx`: one worker thread runs it with one session
and commits once (or rolls back on any error). One thread hop per request, and the session never
moves between threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.database import session_scope
from api.settings import Settings, get_settings
from api.users.security import TokenClaims, read_token
from api.users.service import Actor, Forbidden, Unauthorized
from api.users.sessions import session_cache

T = TypeVar("T")

TOKEN_COOKIE = "shuxin_token"
CSRF_HEADER = "X-Requested-With"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Transactions:
    """Runs a unit of work `work(session)` in a worker thread, in one transaction."""

    async def __call__(self, work: Callable[[Session], T]) -> T:
        return await run_in_threadpool(self.run, work)

    def run(self, work: Callable[[Session], T]) -> T:
        with session_scope() as session:
            return work(session)


_transactions = Transactions()


async def get_transactions() -> Transactions:
    return _transactions


Tx = Annotated[Transactions, Depends(get_transactions)]


async def _settings() -> Settings:
    return get_settings()


SettingsDep = Annotated[Settings, Depends(_settings)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class SignedIn:
    """The signed-in user and what their token says (its session, its version)."""

    actor: Actor
    claims: TokenClaims


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"


async def signed_in(
    request: Request,
    settings: SettingsDep,
    tx: Tx,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> SignedIn:
    """The signed-in user (bearer token, or the pages' cookie); 401 otherwise.

    The token is refused at once when its user is disabled, their password changed or was reset,
    or its session ended (api/users/sessions.py): every process hears of it when it commits.
    """
    return await _resolve(request, settings, tx, bearer, require_csrf=True)


async def _resolve(
    request: Request, settings: Settings, tx: Transactions, bearer: str | None, *, require_csrf
) -> SignedIn:
    token = bearer
    from_cookie = False
    if token is None:
        token = request.cookies.get(TOKEN_COOKIE)
        from_cookie = token is not None
    if token is None:
        raise Unauthorized("请先登录 (sign in first: POST /api/v1/auth/token, or open /login)")
    claims = read_token(token, settings)
    if claims is None:
        raise Unauthorized("登录已过期或无效，请重新登录 (the sign-in has expired or is not valid)")
    if (
        require_csrf
        and from_cookie
        and request.method not in _SAFE_METHODS
        and CSRF_HEADER not in request.headers
    ):
        # A cookie alone could come from another site's form; the page's own scripts add this.
        raise Unauthorized(f"requests signed in by cookie must carry the {CSRF_HEADER} header")
    cache = session_cache()
    actor = cache.peek(claims.user_id, claims.version, claims.session_id)
    if actor is None:

        def check(session: Session) -> Actor | None:
            if cache.ended(session, claims.session_id):
                return None
            return cache.actor(session, claims.user_id, claims.version)

        actor = await tx(check)
    if actor is None:
        raise Unauthorized(
            "登录已失效：账号已停用、密码已修改或已退出登录，请重新登录 (this sign-in has ended: "
            "the account was disabled, its password changed, or it signed out)"
        )
    request.state.actor = actor  # for the audit of refusals
    return SignedIn(actor, claims)


async def page_visitor(request: Request, settings: SettingsDep, tx: Tx) -> SignedIn | None:
    """The pages' signed-in visitor by their cookie, or None (the page sends them to /login).
    The pages' own forms (sign out, change password) post without the scripts' CSRF header: the
    cookie is SameSite=Strict, so another site's form never carries it."""
    try:
        return await _resolve(request, settings, tx, None, require_csrf=False)
    except Unauthorized:
        return None


PageVisitor = Annotated[SignedIn | None, Depends(page_visitor)]


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


async def current_actor(signed: SignedInDep) -> Actor:
    """The signed-in user, once any password they were given has been changed (403 before)."""
    if signed.actor.must_change_password:
        raise PasswordChangeRequired(
            "请先修改初始密码 (change the password you were given first: "
            "POST /api/v1/auth/password, or open /password)",
            field="password",
        )
    return signed.actor


def forget_actors() -> None:
    """Drop the cached actors (tests, and after changing users in this process)."""
    session_cache().reset(listening=session_cache().listening)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def client_address(request: Request) -> str | None:
    """The address the request came from, as the audit log records it."""
    return request.client.host if request.client else None


ClientAddress = Annotated[str | None, Depends(client_address)]
