"""What an action is, once: the table of ActionSpecs drives the endpoints, their docs, the
allowed-actions answer, the screen's buttons and the timeline's words; and the one clock."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from api import clock
from api.events.models import EventStatus
from api.events.transitions import ACTIONS, Action, SystemEntry, allowed_actions
from api.units.service import sync_units
from tests.conftest import sign_in

REPORT = {"title": "暴露垃圾", "category_code": "0102", "source": "citizen", "lon": 119.005,
          "lat": 29.005}  # fmt: skip


def test_every_action_has_one_spec_and_one_documented_endpoint(app_client):
    assert list(ACTIONS) == list(Action)
    paths = app_client.get("/openapi.json").json()["paths"]
    routes = {p for p in paths if "/actions/" in p}
    assert routes == {f"/api/v1/events/{{event_id}}/actions/{a.value}" for a in Action}
    accept = paths["/api/v1/events/{event_id}/actions/accept"]["post"]
    assert accept["summary"] == "accept: Accept a reported event"
    assert (
        "Who: admin, commander; The command room of the event's township" in (accept["description"])
    )
    assert "From: reported." in accept["description"]


def test_the_allowed_actions_are_the_tables(client, session, grid_set, make_user):
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    make_user("t-zhs", "commander", "330825100-ZHS")
    make_user("t-handler", "handler", "330825100-zhifa")
    event = client.post("/api/v1/events", json=REPORT).json()
    assert event["allowed_actions"] == ["accept", "reject"]  # the administrator's
    commander = sign_in(client, "t-zhs")
    seen = client.get(f"/api/v1/events/{event['id']}", headers=commander).json()
    assert seen["allowed_actions"] == ["accept", "reject"]
    accepted = client.post(
        f"/api/v1/events/{event['id']}/actions/accept", json={"version": 1}, headers=commander
    ).json()
    assert accepted["allowed_actions"] == ["reject", "assign", "escalate"]
    assert allowed_actions(EventStatus.handled, None) == [Action.verify, Action.answer_supervision]
    assert allowed_actions(EventStatus.closed, None) == [Action.answer_supervision, Action.rate]


def _config(html: str) -> dict:
    found = re.search(r'<script id="sx-config" type="application/json">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


def test_the_screen_offers_the_tables_buttons_and_words(client, session, grid_set, make_user):
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    make_user("t-zhs2", "commander", "330825100-ZHS")
    token = sign_in(client, "t-zhs2")["Authorization"].split()[1]
    client.headers.pop("Authorization")
    client.cookies.set("shuxin_token", token)
    config = _config(client.get("/screen").text)
    assert config["screen_actions"] == ["accept", "assign", "verify", "supervise"]
    labels = config["action_labels"]
    assert {a.value for a in Action} | {e.value for e in SystemEntry} == set(labels)
    assert [labels[a] for a in ("accept", "assign", "verify", "supervise", "return")] == [
        "受理", "交办", "核查", "督办", "退回",
    ]  # fmt: skip
    assert labels["auto_supervise"] == "超期自动督办"
    script = (client.get("/static/js/screen.js")).text
    # The script once kept its own list of these words; they come from the table now.
    for word in (
        "开始处置",
        "县级退回",
        "县级办结",
        "申请延期",
        "审批延期",
        "督办回复",
        "超期自动督办",
    ):
        assert word not in script, word


def test_the_clock_can_be_set_and_every_action_reads_it(client, session, grid_set, make_user):
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    make_user("t-zhs3", "commander", "330825100-ZHS")
    commander = sign_in(client, "t-zhs3")
    event = client.post("/api/v1/events", json=REPORT).json()
    fixed = datetime(2025, 3, 7, 16, 0)  # no zone: the settings' zone (Asia/Shanghai)
    with clock.frozen(fixed):
        client.post(
            f"/api/v1/events/{event['id']}/actions/accept", json={"version": 1}, headers=commander
        )
        assigned = client.post(
            f"/api/v1/events/{event['id']}/actions/assign", json={"version": 2}, headers=commander
        ).json()
    entries = client.get(f"/api/v1/events/{event['id']}/timeline", headers=commander).json()
    shanghai = ZoneInfo("Asia/Shanghai")
    assert [datetime.fromisoformat(e["at"]) for e in entries[1:]] == [
        datetime(2025, 3, 7, 16, 0, tzinfo=shanghai)
    ] * 2
    # 0102 暴露垃圾: 4 working hours from Friday 16:00 (1.5 h until 17:30) end on Monday at
    # 11:00 (2.5 h from 08:30): the deadline was counted from the clock's time.
    due = datetime.fromisoformat(assigned["tasks"][0]["handle_due"])
    assert due == datetime(2025, 3, 10, 11, 0, tzinfo=shanghai)
