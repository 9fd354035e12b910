"""HTTP: units."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentActor, Tx
from api.units import service
from api.units.models import UnitKind
from api.units.schemas import UnitOut

router = APIRouter(prefix="/api/v1", tags=["units"])


@router.get("/units", response_model=list[UnitOut])
async def list_units(
    tx: Tx, actor: CurrentActor, kind: UnitKind | None = None, township: str | None = None
) -> list[UnitOut]:
    """Units with their codes, kinds and the areas they cover."""
    return await tx(lambda s: service.list_units(session=s, kind=kind, township=township))
