"""HTTP: units."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentActor, SessionDep
from api.units import service
from api.units.models import UnitKind
from api.units.schemas import UnitOut

router = APIRouter(prefix="/api/v1", tags=["units"])


@router.get("/units", response_model=list[UnitOut])
def list_units(
    session: SessionDep,
    actor: CurrentActor,
    kind: UnitKind | None = None,
    township: str | None = None,
) -> list[UnitOut]:
    """Units with their codes, kinds and the areas they cover."""
    return service.list_units(session=session, kind=kind, township=township)
