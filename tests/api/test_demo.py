"""The demo: enough of everything to try the whole loop by hand."""

from __future__ import annotations

from sqlalchemy import text

from api.events.models import EventStatus


def test_the_demo_has_events_in_every_state_and_people_for_every_role(demo_loaded, engine):
    with engine.connect() as connection:
        states = dict(
            connection.execute(
                text(
                    "SELECT status, count(*) FROM event WHERE external_id LIKE 'demo-%' "
                    "GROUP BY status"
                )
            ).all()
        )
        roles = {r for (r,) in connection.execute(text("SELECT DISTINCT role FROM user_account"))}
        gap = connection.execute(
            text(
                "SELECT count(*) FROM event e WHERE e.external_id LIKE 'demo-%' AND e.version <> "
                "(SELECT count(*) FROM event_timeline t WHERE t.event_id = e.id)"
            )
        ).scalar()
        orders = connection.execute(
            text("SELECT count(*) FROM supervision WHERE kind = 'order' AND state = 'open'")
        ).scalar()
    assert set(states) == {s.value for s in EventStatus}, states
    assert roles >= {"admin", "commander", "handler", "grid_worker", "county", "viewer"}
    assert gap == 0, "every demo event's timeline has one entry per version"
    assert orders > 0, "some overdue work carries an open supervision order"
