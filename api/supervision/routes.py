"""HTTP: open supervision orders."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentActor, Tx
from api.supervision.orders import open_orders
from api.supervision.schemas import OrderOut

router = APIRouter(prefix="/api/v1", tags=["queues"])


@router.get("/supervision/orders", response_model=list[OrderOut])
async def list_open_orders(
    tx: Tx, actor: CurrentActor, event_id: int | None = None
) -> list[OrderOut]:
    """Open supervision orders (督办单) waiting for an answer: your unit's, or (the command
    room) every one on events you may see; answer with POST
    /api/v1/events/{id}/actions/answer_supervision and the order's id."""
    return await tx(lambda s: open_orders(session=s, actor=actor, event_id=event_id))
