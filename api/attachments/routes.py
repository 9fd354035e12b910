"""HTTP: photos of events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse

from api.attachments import service
from api.attachments.service import AttachmentOut, TooLarge
from api.deps import CurrentActor, SettingsDep, Tx

router = APIRouter(prefix="/api/v1", tags=["attachments"])


@router.post("/events/{event_id}/attachments", response_model=AttachmentOut, status_code=201)
async def upload(
    request: Request,
    event_id: int,
    tx: Tx,
    actor: CurrentActor,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP")],
    kind: Annotated[str, Form(description="before, after or other")] = "after",
) -> AttachmentOut:
    """Add a photo (before/after handling) to an event; its type is checked from its bytes."""
    declared = int(request.headers.get("content-length") or 0)
    if declared > settings.upload_max_bytes + 64 * 1024:  # the photo plus the form's framing
        raise TooLarge(
            f"the upload has {declared / 1e6:.1f} MB; at most "
            f"{settings.upload_max_bytes / 1e6:.1f} MB is accepted",
            field="file",
        )
    data = await file.read(settings.upload_max_bytes + 1)
    return await tx(
        lambda s: service.to_out(
            service.store(
                session=s,
                actor=actor,
                event_id=event_id,
                data=data,
                kind=kind,
                original_name=file.filename,
                media_dir=settings.media_dir,
                max_bytes=settings.upload_max_bytes,
            )
        )
    )


@router.get("/events/{event_id}/attachments", response_model=list[AttachmentOut])
async def list_attachments(event_id: int, tx: Tx, actor: CurrentActor) -> list[AttachmentOut]:
    """The photos of an event."""
    return await tx(
        lambda s: [
            service.to_out(a) for a in service.list_for(session=s, actor=actor, event_id=event_id)
        ]
    )


@router.get("/attachments/{attachment_id}", response_class=FileResponse)
async def download(
    attachment_id: int, tx: Tx, actor: CurrentActor, settings: SettingsDep
) -> FileResponse:
    """The photo itself, for users who can see its event."""

    def work(session) -> tuple[str, str]:
        attachment = service.get_for(session=session, actor=actor, attachment_id=attachment_id)
        return attachment.storage_path, attachment.content_type

    path, content_type = await tx(work)
    return FileResponse(
        settings.media_dir / path,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
