"""Personal data is masked everywhere by default and revealed one event at a time, with a
reason, by who needs it — and every reveal is in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.audit.models import AuditAction, AuditEntry
from api.events.privacy import mask_address, mask_id_number, mask_name, mask_phone
from api.screen import index as screen_index
from api.units.service import sync_units
from tests.conftest import bearer

EVENTS = "/api/v1/events"
TOWNSHIP = "330825100"
REPORT = {
    "title": "楼道堆放杂物",
    "category_code": "0102",
    "source": "hotline",
    "lon": 119.005,
    "lat": 29.005,
    "reporter": {
        "name": "张三丰",
        "phone": "13812345678",
        "id_number": "33082519900101123x",
        "address": "龙洲街道荣昌路18号3单元",
    },
}


def test_the_masks():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "861******5678"
    assert mask_phone("8765432") == "*****32"
    assert mask_id_number("33082519900101123X") == "330825********123X"
    assert mask_address("龙洲街道荣昌路18号3单元") == "龙洲街道荣昌****"


@pytest.fixture
def people(session, grid_set, make_user):
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    for login, role, unit in (
        ("pv-zhs", "commander", f"{TOWNSHIP}-ZHS"),
        ("pv-viewer", "viewer", f"{TOWNSHIP}-ZHS"),
        ("pv-zhifa", "handler", f"{TOWNSHIP}-zhifa"),
        ("pv-pcs", "handler", f"{TOWNSHIP}-PCS"),
        ("pv-county", "county", "330825-ZX"),
    ):
        make_user(login, role, unit)
    return {login: bearer(session, login) for login in
            ("pv-zhs", "pv-viewer", "pv-zhifa", "pv-pcs", "pv-county")}  # fmt: skip


def _act(client, headers, event_id, action, **body):
    version = client.get(f"{EVENTS}/{event_id}", headers=headers).json()["version"]
    answer = client.post(
        f"{EVENTS}/{event_id}/actions/{action}", json={"version": version, **body}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_no_answer_carries_the_reporter_in_clear(client, people, monkeypatch):
    monkeypatch.setattr(screen_index, "_index", screen_index.EventIndex(max_age_s=0.0))
    created = client.post(EVENTS, json=REPORT)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    masked = {"name": "张**", "phone": "138****5678", "id_number": "330825********123X",
              "address": "龙洲街道荣昌****", "masked": True}  # fmt: skip
    assert created.json()["reporter"] == masked
    for login in ("pv-zhs", "pv-viewer"):
        headers = people[login]
        assert client.get(f"{EVENTS}/{event_id}", headers=headers).json()["reporter"] == masked
        page = client.get(EVENTS, params={"limit": 1000}, headers=headers).text
        geojson = client.get(EVENTS, params={"f": "geojson"}, headers=headers).text
        lists = client.get("/api/v1/screen/lists?range=all", headers=headers).text
        search = client.get("/api/v1/screen/search?q=楼道", headers=headers).text
        for text in (page, geojson, lists, search):
            for secret in ("张三丰", "13812345678", "33082519900101123X", "荣昌路18号"):
                assert secret not in text, (login, secret)


def test_the_command_room_and_the_lead_unit_reveal_with_a_reason(client, people, session):
    event_id = client.post(EVENTS, json=REPORT).json()["id"]
    zhs, zhifa = people["pv-zhs"], people["pv-zhifa"]

    no_reason = client.post(f"{EVENTS}/{event_id}/reveal", json={}, headers=zhs)
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    shown = client.post(f"{EVENTS}/{event_id}/reveal", json={"reason": "回访核实诉求"},
                        headers=zhs)  # fmt: skip
    assert shown.status_code == 200, shown.text
    assert (shown.json()["name"], shown.json()["phone"]) == ("张三丰", "13812345678")

    # The viewer of the same command room, the county (not escalated), the police station
    # (no task) and a unit before it is the lead: refused, and the refusal is audited too.
    for login in ("pv-viewer", "pv-county", "pv-pcs", "pv-zhifa"):
        refused = client.post(
            f"{EVENTS}/{event_id}/reveal", json={"reason": "想看一下情况"}, headers=people[login]
        )
        assert refused.status_code in (403, 404), (login, refused.text)

    _act(client, zhs, event_id, "accept")
    _act(client, zhs, event_id, "assign", lead_unit=f"{TOWNSHIP}-zhifa")
    lead = client.post(f"{EVENTS}/{event_id}/reveal", json={"reason": "联系当事人上门处置"},
                       headers=zhifa)  # fmt: skip
    assert lead.status_code == 200, lead.text
    _act(client, zhifa, event_id, "acknowledge")
    _act(client, zhifa, event_id, "start")
    _act(client, zhifa, event_id, "feedback", text="已清理")
    after = client.post(f"{EVENTS}/{event_id}/reveal", json={"reason": "再看一次"},
                        headers=zhifa)  # fmt: skip
    assert after.status_code == 403  # handled: the unit no longer needs it

    reveals = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.reveal, AuditEntry.target == f"event {event_id}"
        )
    ).all()
    assert [(e.login, e.details["reason"]) for e in reveals] == [
        ("pv-zhs", "回访核实诉求"),
        ("pv-zhifa", "联系当事人上门处置"),
    ]
    refusals = session.scalars(
        select(AuditEntry.login).where(
            AuditEntry.action == AuditAction.forbidden,
            AuditEntry.target == f"POST {EVENTS}/{event_id}/reveal",
        )
    ).all()
    assert {"pv-viewer", "pv-county", "pv-zhifa"} <= set(refusals)
