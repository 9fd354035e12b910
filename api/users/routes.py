"""HTTP: signing in (OAuth2 password flow) and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import CurrentActor, SettingsDep, Tx
from api.users.schemas import TokenOut, UserOut
from api.users.security import issue_token
from api.users.service import authenticate

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", response_model=TokenOut)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    tx: Tx,
    settings: SettingsDep,
) -> TokenOut:
    """Sign in with login and password (form fields `username`, `password`); answers a bearer
    token to send as `Authorization: Bearer TOKEN`. Tokens expire (SHUXIN_TOKEN_TTL_MINUTES)."""
    actor = await tx(lambda s: authenticate(session=s, login=form.username, password=form.password))
    access, expires = issue_token(user_id=actor.id, role=actor.role.value, settings=settings)
    return TokenOut(access_token=access, expires_at=expires.isoformat(), user=actor.to_out())


@router.get("/me", response_model=UserOut)
async def me(actor: CurrentActor) -> UserOut:
    """The signed-in user, their role and unit."""
    return actor.to_out()
