"""Photos of events: checked by their bytes, stored on disk by hash, served to who may see."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import clock
from api.attachments.models import Attachment, AttachmentKind
from api.errors import DomainError, InvalidInput, NotFound
from api.events.policy import require_photo
from api.events.visibility import find_visible, visible_event
from api.users.service import Actor

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


class AttachmentOut(BaseModel):
    id: int
    event_id: int
    kind: str
    content_type: str
    size_bytes: int
    sha256: str
    original_name: str | None
    uploaded_at: datetime
    url: str


def sniff_image(data: bytes) -> str | None:
    """The image type the bytes really are (JPEG, PNG or WebP), whatever the name says."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def without_metadata(data: bytes, content_type: str) -> bytes:
    """The photo re-encoded without its metadata (EXIF: GPS position, device, time; XMP; PNG
    text): the pixels, turned upright as the EXIF said, and the colour profile only. A photo
    that cannot be decoded is refused."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            profile = image.info.get("icc_profile")
            out = io.BytesIO()
            options: dict = {"icc_profile": profile} if profile else {}
            if content_type == "image/jpeg":
                options |= {"quality": 92, "optimize": True}
                if upright.mode not in ("RGB", "L", "CMYK"):
                    upright = upright.convert("RGB")
            elif content_type == "image/webp":
                options |= {"quality": 92}
            upright.save(out, format=_FORMATS[content_type], **options)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput(f"the image cannot be read ({exc}); send a JPEG, PNG or WebP photo",
                           field="file") from None  # fmt: skip
    return out.getvalue()


def store(
    *,
    session: Session,
    actor: Actor,
    event_id: int,
    data: bytes,
    kind: str,
    original_name: str | None,
    media_dir: Path,
    max_bytes: int,
) -> Attachment:
    """Check and store one photo for an event; the caller commits."""
    visible_event(session, actor, event_id)
    require_photo(actor)
    if kind not in AttachmentKind.__members__:
        kinds = ", ".join(AttachmentKind)
        raise InvalidInput(f"kind must be one of {kinds}; got {kind!r}", field="kind")
    if len(data) > max_bytes:
        raise TooLarge(
            f"the photo has {len(data) / 1e6:.1f} MB; at most {max_bytes / 1e6:.1f} MB is accepted",
            field="file",
        )
    content_type = sniff_image(data)
    if content_type is None:
        raise InvalidInput(
            "the file is not a JPEG, PNG or WebP image (checked from its content, not its name)",
            field="file",
        )
    data = without_metadata(data, content_type)
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(digest[:2]) / f"{digest}.{_EXTENSIONS[content_type]}"
    target = media_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)  # atomic: a reader never sees half a photo
    attachment = Attachment(
        event_id=event_id,
        kind=kind,
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        storage_path=str(relative),
        original_name=(original_name or "")[:200] or None,
        uploaded_by_id=actor.id,
        uploaded_at=clock.now(),
    )
    session.add(attachment)
    session.flush()
    return attachment


def get_for(*, session: Session, actor: Actor, attachment_id: int) -> Attachment:
    """An attachment of an event the actor may see, or NotFound."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"there is no attachment {attachment_id}", field="attachment_id")
    if find_visible(session, actor, attachment.event_id) is None:
        raise NotFound(f"there is no attachment {attachment_id} you can see", field="attachment_id")
    return attachment


def list_for(*, session: Session, actor: Actor, event_id: int) -> list[Attachment]:
    visible_event(session, actor, event_id)
    return list(
        session.scalars(
            select(Attachment).where(Attachment.event_id == event_id).order_by(Attachment.id)
        )
    )


def to_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.id,
        event_id=attachment.event_id,
        kind=attachment.kind,
        content_type=attachment.content_type,
        size_bytes=attachment.size_bytes,
        sha256=attachment.sha256,
        original_name=attachment.original_name,
        uploaded_at=attachment.uploaded_at,
        url=f"/api/v1/attachments/{attachment.id}",
    )
