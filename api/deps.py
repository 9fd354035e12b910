"""FastAPI dependencies, written once: the unit of work, the settings, the signed-in user.

Routes are `async def` and hand their work to `Tx`: one worker thread runs it with one session
and commits once (or rolls back on any error). One thread hop per request, and the session never
moves between threads.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.database import session_scope
from api.settings import Settings, get_settings
from api.users.security import read_token
from api.users.service import (
    API_KEY_PREFIX,
    Actor,
    Unauthorized,
    actor_for,
    actor_for_api_key,
)

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

_ACTOR_TTL_S = 10.0
_actors: dict[int, tuple[float, Actor]] = {}


async def current_actor(
    request: Request,
    settings: SettingsDep,
    tx: Tx,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    """The signed-in user (bearer token, or the map pages' cookie); 401 otherwise.

    Who a user is (role, unit, active) is read from the database at most every 10 s per
    process: a deactivated user or a changed role takes effect within 10 s.
    """
    token = bearer
    from_cookie = False
    if token is None:
        token = request.cookies.get(TOKEN_COOKIE)
        from_cookie = token is not None
    if token is None:
        raise Unauthorized("sign in first: POST /api/v1/auth/token (or open /login)")
    user_id = read_token(token, settings)
    if user_id is None:
        raise Unauthorized("the sign-in has expired or is not valid: sign in again")
    if from_cookie and request.method not in _SAFE_METHODS and CSRF_HEADER not in request.headers:
        # A cookie alone could come from another site's form; the page's own scripts add this.
        raise Unauthorized(f"requests signed in by cookie must carry the {CSRF_HEADER} header")
    now = time.monotonic()
    cached = _actors.get(user_id)
    if cached is not None and now - cached[0] < _ACTOR_TTL_S:
        return cached[1]
    actor = await tx(lambda session: actor_for(session, user_id))
    if actor is None:
        _actors.pop(user_id, None)
        raise Unauthorized("this account is disabled or no longer exists")
    _actors[user_id] = (now, actor)
    return actor


def forget_actors() -> None:
    """Drop the cached actors (tests, and after changing users in this process)."""
    _actors.clear()
    _key_actors.clear()


CurrentActor = Annotated[Actor, Depends(current_actor)]

_key_actors: dict[str, tuple[float, Actor]] = {}


async def _api_key(request: Request, bearer: str | None) -> str | None:
    """An API key sent as the bearer token, as HTTP Basic (the key as password or user name),
    or as the `api_key` parameter (Open311: in the query, or the form of a POST)."""
    if bearer and bearer.startswith(API_KEY_PREFIX):
        return bearer
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise Unauthorized("the Basic authorization header is not valid base64") from None
        for candidate in (password, user):
            if candidate.startswith(API_KEY_PREFIX):
                return candidate
        raise Unauthorized(
            "HTTP Basic takes an API key (shuxin users api-key LOGIN) as the password"
        )
    key = request.query_params.get("api_key")
    if key is None and request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get("api_key")
            key = value if isinstance(value, str) else None
    return key


async def client_actor(
    request: Request,
    settings: SettingsDep,
    tx: Tx,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    """Who a program or a person is on the standards' doors (OGC API Features, Open311): the
    signed-in user as `current_actor` says, or the user an API key belongs to. 401 otherwise."""
    key = await _api_key(request, bearer)
    if key is None:
        return await current_actor(request, settings, tx, bearer)
    digest = hashlib.sha256(key.encode()).hexdigest()
    now = time.monotonic()
    cached = _key_actors.get(digest)
    if cached is not None and now - cached[0] < _ACTOR_TTL_S:
        return cached[1]
    actor = await tx(lambda session: actor_for_api_key(session, key))
    if actor is None:
        _key_actors.pop(digest, None)
        raise Unauthorized("this API key is not valid, has been revoked, or its user is disabled")
    _key_actors[digest] = (now, actor)
    return actor


ClientActor = Annotated[Actor, Depends(client_actor)]
