"""The screen never misses a change: its index follows PostgreSQL's order of commits, so a
transaction that commits long after it wrote — a sweep, a batch import — is seen when it
commits (the index used to read `updated_at` with a one-second margin, and skipped it)."""

from __future__ import annotations

import time

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.events import schemas as s
from api.events.service import create_event
from api.screen.index import EventIndex
from api.users.models import User
from api.users.service import actor_for

REPORT = {"title": "井盖缺失", "category_code": "0102", "source": "grid_worker",
          "lon": 119.17, "lat": 29.03}  # fmt: skip


def _report(session: Session, title: str) -> int:
    admin = actor_for(session, session.scalar(select(User.id).where(User.login == "admin")))
    out, _ = create_event(session=session, data=s.EventIn(**{**REPORT, "title": title}),
                          actor=admin)  # fmt: skip
    return out.id


def test_a_transaction_that_commits_late_is_seen_when_it_commits(demo_loaded, engine):
    index = EventIndex(max_age_s=0.0)
    with Session(engine) as reader:
        index.current(reader)
        reader.commit()
        existing = int(index.columns.id[0])
        was = reader.scalar(text("SELECT status FROM event WHERE id = :i"), {"i": existing})
        reader.commit()

        slow = Session(engine)  # writes first, commits last
        late_id = _report(slow, "迟到的提交")
        slow.execute(text("UPDATE event SET status = 'escalated' WHERE id = :i"), {"i": existing})
        slow.flush()

        with Session(engine) as quick:
            quick_id = _report(quick, "先提交的")
            quick.commit()
        columns = index.current(reader)
        reader.commit()
        assert quick_id in columns.id and late_id not in columns.id
        assert late_id < quick_id  # its id came first: "newer ids only" would skip it

        time.sleep(1.5)  # longer than the old margin
        with Session(engine) as quick:
            _report(quick, "又一个")
            quick.commit()
        index.current(reader)
        reader.commit()

        slow.commit()
        slow.close()
        columns = index.current(reader)
        reader.commit()
        assert late_id in columns.id
        row = int(columns.id.searchsorted(existing))
        assert index.statuses.values[columns.status[row]] == "escalated"
        assert list(columns.id) == sorted(columns.id)  # still sorted for the lookups
        # Put the demo event back as it was.
        reader.execute(
            text("UPDATE event SET status = :s WHERE id = :i"), {"s": was, "i": existing}
        )
        reader.commit()
