"""Declaring and ending emergency operation (平战转换); every change is recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.models import AuditAction
from api.audit.record import record
from api.errors import InvalidInput
from api.mode.models import Mode, ModeChange
from api.mode.schemas import ModeIn, ModeOut
from api.units.models import UnitKind
from api.users.models import Role, User
from api.users.service import Actor, Forbidden


def current_mode(*, session: Session, township_code: str) -> ModeOut:
    """The township's mode now: its latest recorded change, or peacetime."""
    row = session.execute(
        select(ModeChange, User.display_name)
        .outerjoin(User, User.id == ModeChange.by_user_id)
        .where(ModeChange.township_code == township_code)
        .order_by(ModeChange.at.desc(), ModeChange.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return ModeOut(
            township_code=township_code,
            mode=Mode.peacetime,
            level=None,
            reason=None,
            village_codes=[],
            since=None,
            by=None,
        )
    change, by = row
    return ModeOut(
        township_code=change.township_code,
        mode=Mode(change.mode),
        level=change.level,
        reason=change.reason,
        village_codes=list(change.village_codes or []),
        since=change.at,
        by=by,
    )


def change_mode(
    *, session: Session, actor: Actor, data: ModeIn, now: datetime, address: str | None = None
) -> ModeOut:
    """Declare an emergency (with a response level) or return to peacetime."""
    township = data.township_code or actor.township_code
    if not township:
        raise InvalidInput("say which township: give township_code", field="township_code")
    if not actor.is_admin:
        if actor.role is not Role.commander or actor.unit_kind is not UnitKind.command_room:
            raise Forbidden(
                f"only the command room switches the mode; you are {actor.describe()}", field="role"
            )
        if township != actor.township_code:
            raise Forbidden(
                f"you command {actor.township_code}, not {township}", field="township_code"
            )
    if data.mode is Mode.emergency and data.level is None:
        raise InvalidInput(
            "an emergency has a response level: give level I, II, III or IV", field="level"
        )
    if data.mode is Mode.peacetime and data.level is not None:
        raise InvalidInput("peacetime has no response level", field="level")
    session.add(
        ModeChange(
            township_code=township,
            mode=data.mode.value,
            level=data.level,
            reason=data.reason,
            village_codes=data.village_codes,
            at=now,
            by_user_id=actor.id,
        )
    )
    session.flush()
    record(session, action=AuditAction.mode_changed, who=actor, address=address,
           target=f"township {township}", mode=data.mode.value, level=data.level,
           reason=data.reason)  # fmt: skip
    return current_mode(session=session, township_code=township)
