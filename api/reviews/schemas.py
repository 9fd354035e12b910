"""Reviewers' notes as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from api.reviews.models import ReviewKind

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ReviewKind
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    conclusions: Text
    lessons: Text


class NoteOut(BaseModel):
    id: int
    kind: ReviewKind
    subject: str
    conclusions: str
    lessons: str
    written_by: str
    written_at: datetime
