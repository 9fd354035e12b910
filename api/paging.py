"""Keyset paging: a page is "the next N after this key", never "N after skipping M".

A row inserted while a client walks the pages does not shift them (offset paging would show one
row twice or skip one): new rows get higher keys and appear at the end.

How a page is found depends on how many rows match, which the planner estimates first (a
millisecond): a few (a box, a township, a state among many) are gathered once through the
indexes their conditions use, counted and the page's keys taken from them, in one scan; many
are walked in key order (the primary key) and counted apart. Walking the key order for a few
matches can read most of the table when they cluster at its end, and gathering many would
collect them all for a page of a hundred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, text
from sqlalchemy.orm import Session

T = TypeVar("T")

GATHER_BELOW = 300_000
"""Matches the planner expects below this are gathered and sorted; more are walked by key."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows in key order, whether there are rows before and after it, and how many
    rows match in all (None when not counted)."""

    rows: list[T]
    more_before: bool
    more_after: bool
    matched: int | None


def _estimate(session: Session, query: Select) -> float:
    """The planner's estimate of the rows `query` returns (its parameters stay bound)."""
    connection = session.connection()
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    plan = connection.exec_driver_sql(
        "EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params
    ).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])


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
    # JIT compiling pays for itself on long reports, not on a page: it only adds ~50 ms here.
    session.execute(text("SET LOCAL jit = off"))
    if before is not None:
        cursor, order = key < before, key.desc()
    else:
        cursor, order = (key > after if after is not None else None), key
    matching = select(key.label("k")).where(*where)
    matched = None
    if count and _estimate(session, matching) < GATHER_BELOW:
        gathered = matching.cte("matched").prefix_with("MATERIALIZED")
        page_keys = select(gathered.c.k)
        if cursor is not None:
            page_keys = page_keys.where(
                gathered.c.k < before if before is not None else gathered.c.k > after
            )
        page_keys = (
            page_keys.order_by(gathered.c.k.desc() if before is not None else gathered.c.k)
            .limit(limit + 1)
            .subquery()
        )
        row = session.execute(
            select(
                select(func.count()).select_from(gathered).scalar_subquery(),
                select(func.array_agg(page_keys.c.k)).scalar_subquery(),
            )
        ).one()
        matched, keys = row[0], list(row[1] or [])
        page_query = query.where(key.in_(keys[: limit + 1])).order_by(order)
    else:
        page_query = query.where(*where)
        if cursor is not None:
            page_query = page_query.where(cursor)
        page_query = page_query.order_by(order).limit(limit + 1)
        if count:
            matched = session.scalar(select(func.count(key)).where(*where))
    result = session.scalars(page_query) if scalars else session.execute(page_query)
    rows = list(result)
    more = len(rows) > limit
    rows = rows[:limit]
    if before is not None:
        rows.reverse()
        more_before, more_after = more, True
    else:
        more_before, more_after = after is not None, more
    return Page(rows, more_before, more_after, matched)
