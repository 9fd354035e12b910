"""HTTP: the category catalog."""

from __future__ import annotations

from fastapi import APIRouter

from api.categories.schemas import CategoryOut
from api.categories.service import list_categories
from api.deps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["categories"])


@router.get("/categories", response_model=list[CategoryOut])
def categories(session: SessionDep) -> list[CategoryOut]:
    """Every active category (大类 and 小类) with its platform and time limits."""
    return list_categories(session=session)
