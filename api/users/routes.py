"""HTTP: signing in (OAuth2 password flow), renewing, signing out, changing the password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from api.deps import TOKEN_COOKIE, ClientAddress, SettingsDep, SignedInDep, Tx
from api.users import auth
from api.users.schemas import TokenOut, UserOut

router = APIRouter(prefix="/api/v1", tags=["auth"])

_LOCKED = {429: {"description": "Too many failed sign-ins: locked (Retry-After says how long)"}}


@router.post("/auth/token", response_model=TokenOut, responses=_LOCKED)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    tx: Tx,
    settings: SettingsDep,
    address: ClientAddress,
) -> TokenOut:
    """Sign in with login and password (form fields `username`, `password`); answers a bearer
    token to send as `Authorization: Bearer TOKEN`. Tokens last SHUXIN_TOKEN_TTL_MINUTES;
    renew one with POST /api/v1/auth/refresh. After SHUXIN_SIGN_IN_MAX_FAILURES wrong passwords
    the login is locked for a while (429)."""
    return await auth.sign_in_or_refuse(
        tx=tx, login=form.username, password=form.password, address=address, settings=settings
    )


@router.post("/auth/refresh", response_model=TokenOut)
async def refresh(
    signed: SignedInDep, request: Request, response: Response, settings: SettingsDep
) -> TokenOut:
    """A new token for the same session (the pages renew theirs while open), until the session
    is SHUXIN_SESSION_MAX_HOURS old: then sign in again."""
    out = auth.renew(signed, settings=settings)
    if TOKEN_COOKIE in request.cookies:
        auth.set_cookie(response, out.access_token, settings)
    return out


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


@router.post("/auth/password", response_model=TokenOut)
async def change_password(
    body: PasswordChange,
    signed: SignedInDep,
    tx: Tx,
    request: Request,
    response: Response,
    settings: SettingsDep,
    address: ClientAddress,
) -> TokenOut:
    """Change your password (at least 10 characters, not your login, not a common password).
    Every other sign-in of yours ends; this one goes on with the new token answered."""
    out = await auth.change_password(
        tx=tx, signed=signed, current=body.current_password, new=body.new_password,
        address=address, settings=settings,
    )  # fmt: skip
    if TOKEN_COOKIE in request.cookies:
        auth.set_cookie(response, out.access_token, settings)
    return out


@router.post("/auth/logout", status_code=204)
async def logout(signed: SignedInDep, tx: Tx, address: ClientAddress) -> Response:
    """End this sign-in: its token (and the pages' cookie) is refused from now on."""
    await auth.sign_out(tx=tx, signed=signed, address=address)
    response = Response(status_code=204)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


@router.get("/me", response_model=UserOut)
async def me(signed: SignedInDep) -> UserOut:
    """The signed-in user, their role and unit (and whether they must change their password)."""
    return signed.actor.to_out()
