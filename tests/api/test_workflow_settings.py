"""The loop's settings and its documentation: auto-assignment, and every action in OpenAPI."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from api.events import schemas as s
from api.events.transitions import ACTIONS, Action
from api.events.workflow import perform, timeline
from api.settings import get_settings
from api.units.service import sync_units
from api.users.service import actor_for


def test_auto_assignment_gives_an_accepted_event_to_its_default_unit(
    client, session, grid_set, make_user, monkeypatch
):
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    commander = actor_for(session, make_user("auto-zhs", "commander", "330825100-ZHS").id)
    event = client.post(
        "/api/v1/events",
        json={
            "title": "暴露垃圾",
            "category_code": "0102",
            "source": "citizen",
            "lon": 119.005,
            "lat": 29.005,
        },
    ).json()
    monkeypatch.setattr(get_settings(), "auto_assign", True)
    now = datetime(2025, 3, 11, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    done = perform(
        session=session,
        event_id=event["id"],
        action=Action.accept,
        actor=commander,
        body=s.AcceptBody(version=1),
        now=now,
    )
    assert (done.status, done.version) == ("assigned", 3)
    entries = timeline(session=session, event_id=event["id"], actor=commander)
    assert [(e.seq, e.action, e.to_status) for e in entries] == [
        (1, "report", "reported"),
        (2, "accept", "accepted"),
        (3, "assign", "assigned"),
    ]
    assert entries[2].details["lead"]["code"] == "330825100-zhifa"
    assert entries[2].details["default_unit"] is False  # named by the auto-assignment


def test_the_api_documents_every_action_with_its_body(app_client):
    spec = app_client.get("/openapi.json").json()
    for action, body in ((a, spec.body) for a, spec in ACTIONS.items()):
        path = spec["paths"][f"/api/v1/events/{{event_id}}/actions/{action.value}"]["post"]
        schema = path["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert schema.endswith(f"/{body.__name__}"), (action, schema)
        assert {"403", "409", "422"} <= set(path["responses"])
        assert "version" in spec["components"]["schemas"][body.__name__]["properties"]
