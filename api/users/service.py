"""Users: creating them, signing in, and who is acting."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api import clock
from api.errors import Conflict, DomainError, InvalidInput, NotFound
from api.units.models import Unit, UnitKind
from api.users.models import ApiKey, Role, User
from api.users.schemas import UnitRef, UserOut
from api.users.security import hash_password, verify_password

LOGIN = re.compile(r"^[a-zA-Z0-9_.\-]{2,64}$")

# Which kinds of unit each role belongs to.
ROLE_UNIT_KINDS: dict[Role, tuple[UnitKind, ...]] = {
    Role.commander: (UnitKind.command_room,),
    Role.handler: (
        UnitKind.platform,
        UnitKind.department,
        UnitKind.village,
        UnitKind.grid,
        UnitKind.command_room,
    ),
    Role.grid_worker: (UnitKind.grid, UnitKind.village),
    Role.county: (UnitKind.county_center,),
    Role.viewer: tuple(UnitKind),
}


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


@dataclass(frozen=True)
class Actor:
    """The signed-in user and their unit, as the rules need them."""

    id: int
    login: str
    name: str
    role: Role
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    unit_kind: UnitKind | None
    township_code: str | None
    area_codes: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def describe(self) -> str:
        """'张三 (handler, 龙洲街道派出所)' for messages."""
        unit = f", {self.unit_name}" if self.unit_name else ""
        return f"{self.name} ({self.role.value}{unit})"

    def to_out(self) -> UserOut:
        unit = (
            UnitRef(
                code=self.unit_code,
                name=self.unit_name or "",
                kind=self.unit_kind.value if self.unit_kind else "",
            )
            if self.unit_code
            else None
        )
        return UserOut(login=self.login, display_name=self.name, role=self.role, unit=unit)


_ACTOR = text(
    "SELECT u.id, u.login, u.display_name, u.role, n.id, n.code, n.name, n.kind, "
    "n.township_code, n.area_codes FROM user_account u LEFT JOIN unit n ON n.id = u.unit_id "
    "WHERE u.id = :id AND u.active"
)


def actor_for(session: Session, user_id: int) -> Actor | None:
    """The active user with this id as an Actor, or None (one small query: it runs on every
    request)."""
    row = session.execute(_ACTOR, {"id": user_id}).first()
    if row is None:
        return None
    uid, login, name, role, unit_id, code, unit_name, kind, township, areas = row
    return Actor(
        id=uid,
        login=login,
        name=name,
        role=Role(role),
        unit_id=unit_id,
        unit_code=code,
        unit_name=unit_name,
        unit_kind=UnitKind(kind) if kind else None,
        township_code=township,
        area_codes=tuple(areas or ()),
    )


def authenticate(*, session: Session, login: str, password: str) -> Actor:
    """The actor for a login and password; Unauthorized with one message for any mismatch."""
    user = session.scalar(select(User).where(User.login == login))
    if user is None or not user.active or not verify_password(password, user.password_hash):
        raise Unauthorized("wrong login or password", field="password")
    actor = actor_for(session, user.id)
    assert actor is not None
    return actor


def create_user(
    *,
    session: Session,
    login: str,
    role: Role,
    unit_code: str | None,
    password: str | None = None,
    display_name: str | None = None,
) -> tuple[User, str]:
    """Create a user; (user, password) — a password is generated when none is given."""
    if not LOGIN.match(login):
        raise InvalidInput("login must be 2-64 letters, digits, '.', '_' or '-'", field="login")
    if session.scalar(select(User).where(User.login == login)) is not None:
        raise Conflict(f"a user {login!r} already exists", field="login")
    unit = None
    if unit_code:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise NotFound(
                f"there is no unit {unit_code!r}; `shuxin units list` shows them "
                "(GET /api/v1/units)",
                field="unit",
            )
    if role is not Role.admin:
        if unit is None:
            raise InvalidInput(f"a {role.value} belongs to a unit: give --unit CODE", field="unit")
        if UnitKind(unit.kind) not in ROLE_UNIT_KINDS[role]:
            kinds = ", ".join(k.value for k in ROLE_UNIT_KINDS[role])
            raise InvalidInput(
                f"a {role.value} belongs to a unit of kind {kinds}; {unit.code} is a {unit.kind}",
                field="unit",
            )
    if password is not None and len(password) < 8:
        raise InvalidInput("password must have at least 8 characters", field="password")
    password = password or secrets.token_urlsafe(9)
    user = User(
        login=login,
        display_name=display_name or login,
        role=role.value,
        unit_id=unit.id if unit else None,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user, password


# --- API keys -------------------------------------------------------------------------------------

API_KEY_PREFIX = "sxk_"


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(*, session: Session, login: str, name: str) -> tuple[ApiKey, str]:
    """A new API key for the user `login`; (its row, the key). The key is shown only now: only
    its SHA-256 is kept."""
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        raise NotFound(f"there is no user {login!r}", field="login")
    if not user.active:
        raise Conflict(f"user {login!r} is disabled", field="login")
    key = API_KEY_PREFIX + secrets.token_urlsafe(30)
    row = ApiKey(user_id=user.id, name=name, prefix=key[:12], key_hash=_key_hash(key))
    session.add(row)
    session.flush()
    return row, key


def revoke_api_key(*, session: Session, prefix: str) -> ApiKey:
    """Revoke the key that starts with `prefix` (as `shuxin users keys` lists it)."""
    rows = list(session.scalars(select(ApiKey).where(ApiKey.prefix == prefix[:12])))
    if not rows:
        raise NotFound(f"there is no API key {prefix!r}", field="key")
    for row in rows:
        row.revoked_at = row.revoked_at or clock.now()
    session.flush()
    return rows[0]


def list_api_keys(*, session: Session) -> list[tuple[ApiKey, str]]:
    """Every API key with the login it belongs to, newest first."""
    rows = session.execute(
        select(ApiKey, User.login).join(User, User.id == ApiKey.user_id).order_by(ApiKey.id.desc())
    )
    return [(key, login) for key, login in rows]


def actor_for_api_key(session: Session, key: str) -> Actor | None:
    """The active user an unrevoked API key belongs to, or None."""
    user_id = session.scalar(
        select(ApiKey.user_id).where(ApiKey.key_hash == _key_hash(key), ApiKey.revoked_at.is_(None))
    )
    return actor_for(session, user_id) if user_id is not None else None
