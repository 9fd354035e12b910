"""HTTP: the category catalog."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.categories.schemas import CategoryOut
from api.categories.service import list_categories
from api.deps import Tx, current_actor

router = APIRouter(prefix="/api/v1", tags=["categories"], dependencies=[Depends(current_actor)])


@router.get("/categories", response_model=list[CategoryOut])
async def categories(tx: Tx) -> list[CategoryOut]:
    """Every active category (大类 and 小类) with its platform and time limits."""
    return await tx(lambda s: list_categories(session=s))
