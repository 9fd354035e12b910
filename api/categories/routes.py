"""HTTP: the category catalog."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.categories.schemas import CategoryOut
from api.categories.service import list_categories
from api.deps import SessionDep, current_actor

router = APIRouter(prefix="/api/v1", tags=["categories"], dependencies=[Depends(current_actor)])


@router.get("/categories", response_model=list[CategoryOut])
def categories(session: SessionDep) -> list[CategoryOut]:
    """Every active category (大类 and 小类) with its platform and time limits."""
    return list_categories(session=session)
