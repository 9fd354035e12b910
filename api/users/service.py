"""Users: creating them, signing in, and who is acting."""

from __future__ import annotations

import gzip
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api import clock
from api.audit.models import AuditAction
from api.audit.record import Who, record
from api.errors import Conflict, DomainError, InvalidInput, NotFound
from api.settings import Settings, get_settings
from api.units.models import Unit, UnitKind
from api.users import security, sessions, throttle
from api.users.models import Role, User
from api.users.schemas import UnitRef, UserOut

PASSWORD_MIN = 10
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"

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
    must_change_password: bool = False

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
        return UserOut(
            login=self.login,
            display_name=self.name,
            role=self.role,
            unit=unit,
            must_change_password=self.must_change_password,
        )


_ACTOR = text(
    "SELECT u.id, u.login, u.display_name, u.role, n.id, n.code, n.name, n.kind, "
    "n.township_code, n.area_codes, u.must_change_password "
    "FROM user_account u LEFT JOIN unit n ON n.id = u.unit_id WHERE u.id = :id AND u.active"
)


def actor_for(session: Session, user_id: int) -> Actor | None:
    """The active user with this id as an Actor, or None (one small query: it runs on every
    request)."""
    row = session.execute(_ACTOR, {"id": user_id}).first()
    if row is None:
        return None
    uid, login, name, role, unit_id, code, unit_name, kind, township, areas, must_change = row
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
        must_change_password=must_change,
    )


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the actor, or None (wrong login or password)."""

    actor: Actor | None
    version: int = 0
    locked_now: bool = False


WRONG = "账号或密码错误 (wrong login or password)"


def sign_in(
    *, session: Session, login: str, password: str, address: str | None, settings: Settings
) -> SignIn:
    """Check a login and password, throttled per login and address (TooManyAttempts, 429).
    A failure is counted and audited in this transaction, which the caller commits before it
    answers 401: the count must survive the refusal. Unknown logins cost as much as known ones."""
    now = clock.now()
    throttle.check(session, login=login, address=address, now=now)
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        security.spend_like_a_verify(password)
    ok = user is not None and security.verify_password(password, user.password_hash)
    if not ok or not user.active:
        locked = throttle.failed(session, login=login, address=address, now=now, settings=settings)
        record(
            session,
            action=AuditAction.sign_in_locked if locked else AuditAction.sign_in_failed,
            who=Who(user.id if user else None, login[:64], None, None),
            address=address,
            target=f"user {login[:64]}",
            known=user is not None,
        )
        return SignIn(None, locked_now=locked)
    throttle.succeeded(session, login=login)
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    user.last_sign_in_at = now
    actor = actor_for(session, user.id)
    assert actor is not None
    record(session, action=AuditAction.sign_in, who=actor, address=address, target=f"user {login}")
    return SignIn(actor, user.token_version)


def check_new_password(password: str, login: str) -> None:
    """InvalidInput unless the password follows the rules: at least 10 characters, not the
    login, not one of the 20,000 most common passwords."""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(
            f"密码至少 {PASSWORD_MIN} 位 (a password has at least {PASSWORD_MIN} characters)",
            field="password",
        )
    folded = password.casefold()
    if login.casefold() in folded:
        raise InvalidInput("密码不能包含账号 (the password must not contain the login)",
                           field="password")  # fmt: skip
    if folded in _common_passwords():
        raise InvalidInput(
            "这是常见密码，容易被猜中，请换一个 (this is a common password: choose another)",
            field="password",
        )


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # Django's list (BSD licence): 20,000 passwords from breaches, by Royce Williams.
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().casefold() for line in handle if line.strip())


def create_user(
    *,
    session: Session,
    login: str,
    role: Role,
    unit_code: str | None,
    password: str | None = None,
    display_name: str | None = None,
    by: Who | None = None,
) -> tuple[User, str]:
    """Create a user; (user, password) — a password is generated when none is given."""
    role = Role(role)
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
    if password is not None:
        check_new_password(password, login)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    user = User(
        login=login,
        display_name=display_name or login,
        role=role.value,
        unit_id=unit.id if unit else None,
        password_hash=security.hash_password(password),
        must_change_password=generated and get_settings().force_password_change,
        password_changed_at=clock.now(),
    )
    session.add(user)
    session.flush()
    record(session, action=AuditAction.user_created, who=by, address=None, target=f"user {login}",
           role=role.value, unit=unit_code)  # fmt: skip
    return user, password


# --- managing users -----------------------------------------------------------------------------


def user_by_login(session: Session, login: str) -> User:
    """The user with this login, or NotFound."""
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        raise NotFound(f"there is no user {login!r}; `shuxin users list` shows them", field="login")
    return user


def change_password(
    *, session: Session, actor: Actor, current: str, new: str, address: str | None
) -> int:
    """The signed-in user changes their password; every other session of theirs ends. Returns
    the user's new token version (for the token of this session)."""
    user = session.get(User, actor.id)
    if not security.verify_password(current, user.password_hash):
        raise InvalidInput(
            "当前密码不正确 (the current password is wrong)", field="current_password"
        )
    if current == new:
        raise InvalidInput("新密码不能与当前密码相同 (choose a new password)", field="new_password")
    try:
        check_new_password(new, user.login)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="new_password") from None
    user.password_hash = security.hash_password(new)
    user.must_change_password = False
    user.password_changed_at = clock.now()
    sessions.void_tokens(session, user)
    record(session, action=AuditAction.password_changed, who=actor, address=address,
           target=f"user {user.login}")  # fmt: skip
    return user.token_version


def reset_password(
    *, session: Session, login: str, by: Who | None, password: str | None = None
) -> str:
    """An administrator sets a new password (generated unless given), to be changed at the next
    sign-in; every session of the user ends. Returns the password."""
    user = user_by_login(session, login)
    if password is not None:
        check_new_password(password, login)
    new = password or secrets.token_urlsafe(12)
    user.password_hash = security.hash_password(new)
    user.must_change_password = get_settings().force_password_change
    user.password_changed_at = clock.now()
    sessions.void_tokens(session, user)
    record(session, action=AuditAction.password_reset, who=by, address=None,
           target=f"user {login}")  # fmt: skip
    return new


def disable_user(*, session: Session, login: str, by: Who | None) -> User:
    """Disable a user: refused at once, everywhere (every token void); nothing is deleted."""
    user = user_by_login(session, login)
    user.active = False
    sessions.void_tokens(session, user)
    record(session, action=AuditAction.user_disabled, who=by, address=None,
           target=f"user {login}")  # fmt: skip
    return user


@dataclass(frozen=True)
class UserRow:
    login: str
    display_name: str
    role: Role
    unit_code: str | None
    active: bool
    must_change_password: bool
    last_sign_in_at: datetime | None


def list_users(*, session: Session) -> list[UserRow]:
    """Every user, by login."""
    rows = session.execute(
        select(User, Unit.code).outerjoin(Unit, Unit.id == User.unit_id).order_by(User.login)
    )
    return [
        UserRow(
            u.login,
            u.display_name,
            u.role,
            code,
            u.active,
            u.must_change_password,
            u.last_sign_in_at,
        )  # fmt: skip
        for u, code in rows
    ]
