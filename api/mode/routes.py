"""HTTP: the operating mode (平时/战时)."""

from __future__ import annotations

from fastapi import APIRouter

from api import clock
from api.deps import ClientAddress, CurrentActor, Tx
from api.errors import InvalidInput
from api.mode import service
from api.mode.schemas import ModeIn, ModeOut

router = APIRouter(prefix="/api/v1", tags=["mode"])


@router.get("/mode", response_model=ModeOut)
async def get_mode(tx: Tx, actor: CurrentActor, township: str | None = None) -> ModeOut:
    """The township's operating mode: peacetime, or emergency with its level and reason."""
    code = township or actor.township_code
    if not code:
        raise InvalidInput("say which township: ?township=CODE", field="township")
    return await tx(lambda s: service.current_mode(session=s, township_code=code))


@router.post("/mode", response_model=ModeOut, status_code=201)
async def change_mode(data: ModeIn, tx: Tx, actor: CurrentActor, address: ClientAddress) -> ModeOut:
    """Declare an emergency (战时) or return to peacetime; recorded with who and why."""
    now = clock.now()
    return await tx(
        lambda s: service.change_mode(session=s, actor=actor, data=data, now=now, address=address)
    )
