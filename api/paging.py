"""Keyset paging: a page is "the next N after this key", never "N after skipping M".

A row inserted while a client walks the pages does not shift them (offset paging would show one
row twice or skip one): new rows get higher keys and appear at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows in key order, whether there are rows before and after it, and how many
    rows match in all (None when not counted)."""

    rows: list[T]
    more_before: bool
    more_after: bool
    matched: int | None


def keyset_page(
    session: Session,
    query: Select,
    *,
    key: Any,
    where: Sequence[ColumnElement[bool]],
    after: Any = None,
    before: Any = None,
    limit: int,
    count: bool = True,
    scalars: bool = False,
) -> Page:
    """The rows of `query` matching `where`, ordered by the unique `key`: the first `limit`
    after `after`, or the last `limit` before `before`; `scalars` for ORM objects."""
    if after is not None and before is not None:
        raise ValueError("give after or before, not both")
    filtered = query.where(*where)
    if before is not None:
        page_query = filtered.where(key < before).order_by(key.desc()).limit(limit + 1)
    else:
        page_query = filtered.order_by(key).limit(limit + 1)
        if after is not None:
            page_query = page_query.where(key > after)
    result = session.scalars(page_query) if scalars else session.execute(page_query)
    rows = list(result)
    more = len(rows) > limit
    rows = rows[:limit]
    if before is not None:
        rows.reverse()
        more_before, more_after = more, True
    else:
        more_before, more_after = after is not None, more
    matched = session.scalar(select(func.count(key)).where(*where)) if count else None
    return Page(rows, more_before, more_after, matched)
