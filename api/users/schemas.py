"""Users and sign-in as the API shows them."""

from __future__ import annotations

from pydantic import BaseModel

from api.users.models import Role


class UnitRef(BaseModel):
    code: str
    name: str
    kind: str


class UserOut(BaseModel):
    login: str
    display_name: str
    role: Role
    unit: UnitRef | None
    must_change_password: bool = False


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: str
    user: UserOut
