"""HTTP: the reviewers' notes, and the emergency periods there are to review."""

from __future__ import annotations

from fastapi import APIRouter

from api import clock
from api.deps import CurrentActor, Tx
from api.reviews import service
from api.reviews.schemas import NoteIn, NoteOut

router = APIRouter(prefix="/api/v1/reviews", tags=["reviews"])


@router.post("/notes", response_model=NoteOut, status_code=201)
async def write_note(data: NoteIn, tx: Tx, actor: CurrentActor) -> NoteOut:
    """Store the reviewer's conclusions and lessons on a review (with who wrote them)."""
    now = clock.now()

    def work(s):
        note = service.write_note(
            session=s,
            actor=actor,
            kind=data.kind,
            subject=data.subject,
            conclusions=data.conclusions,
            lessons=data.lessons,
            now=now,
        )
        return NoteOut(
            id=note.id,
            kind=note.kind,
            subject=note.subject,
            conclusions=note.conclusions,
            lessons=note.lessons,
            written_by=note.written_by,
            written_at=note.written_at,
        )

    return await tx(work)


@router.get("/emergencies")
async def emergencies(tx: Tx, actor: CurrentActor) -> list[dict]:
    """Declared emergencies (from a declaration to its end) you may review."""

    def work(s):
        return [
            {
                "id": change.id,
                "township_code": change.township_code,
                "level": change.level,
                "reason": change.reason,
                "villages": list(change.village_codes or []),
                "from": change.at,
                "to": end,
                "page": f"/review/emergency/{change.id}",
            }
            for change, end in service.emergency_periods(s, actor)
        ]

    return await tx(work)
