"""HTTP: photos of events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse

from api.attachments import service
from api.attachments.service import AttachmentOut
from api.deps import CurrentActor, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["attachments"])


@router.post("/events/{event_id}/attachments", response_model=AttachmentOut, status_code=201)
def upload(
    event_id: int,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP")],
    kind: Annotated[str, Form(description="before, after or other")] = "after",
) -> AttachmentOut:
    """Add a photo (before/after handling) to an event; its type is checked from its bytes."""
    data = file.file.read(settings.upload_max_bytes + 1)
    attachment = service.store(
        session=session,
        actor=actor,
        event_id=event_id,
        data=data,
        kind=kind,
        original_name=file.filename,
        media_dir=settings.media_dir,
        max_bytes=settings.upload_max_bytes,
    )
    return service.to_out(attachment)


@router.get("/events/{event_id}/attachments", response_model=list[AttachmentOut])
def list_attachments(
    event_id: int, session: SessionDep, actor: CurrentActor
) -> list[AttachmentOut]:
    """The photos of an event."""
    return [
        service.to_out(a) for a in service.list_for(session=session, actor=actor, event_id=event_id)
    ]


@router.get("/attachments/{attachment_id}", response_class=FileResponse)
def download(
    attachment_id: int, session: SessionDep, actor: CurrentActor, settings: SettingsDep
) -> FileResponse:
    """The photo itself, for users who can see its event."""
    attachment = service.get_for(session=session, actor=actor, attachment_id=attachment_id)
    return FileResponse(
        settings.media_dir / attachment.storage_path,
        media_type=attachment.content_type,
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
