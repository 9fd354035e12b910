"""FastAPI dependencies, written once: the database session, the settings, the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.database import new_session
from api.settings import Settings, get_settings
from api.users.security import read_token
from api.users.service import Actor, Unauthorized, actor_for

TOKEN_COOKIE = "shuxin_token"
CSRF_HEADER = "X-Requested-With"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_session() -> Iterator[Session]:
    """One session per request; it commits once when the route returns, rolls back on error."""
    session = new_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a failed commit is an error answer.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def current_actor(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    """The signed-in user (bearer token, or the map pages' cookie); 401 otherwise."""
    token = bearer
    from_cookie = False
    if token is None:
        token = request.cookies.get(TOKEN_COOKIE)
        from_cookie = token is not None
    if token is None:
        raise Unauthorized("sign in first: POST /api/v1/auth/token (or open /login)")
    user_id = read_token(token, settings)
    actor = actor_for(session, user_id) if user_id is not None else None
    if actor is None:
        raise Unauthorized("the sign-in has expired or is not valid: sign in again")
    if from_cookie and request.method not in _SAFE_METHODS and CSRF_HEADER not in request.headers:
        # A cookie alone could come from another site's form; the page's own scripts add this.
        raise Unauthorized(f"requests signed in by cookie must carry the {CSRF_HEADER} header")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
