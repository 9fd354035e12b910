"""平战转换: declaring an emergency and returning to peacetime, recorded with who and why."""

from __future__ import annotations

from sqlalchemy import text

from api.units.service import sync_units
from tests.conftest import sign_in


def test_the_command_room_declares_and_ends_an_emergency(app_client, session, grid_set, make_user):
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    make_user("mode-commander", "commander", "330825100-ZHS")
    make_user("mode-handler", "handler", "330825100-zhifa")
    commander = sign_in(app_client, "mode-commander")
    now = app_client.get("/api/v1/mode", headers=commander).json()
    assert (now["mode"], now["since"]) == ("peacetime", None)

    no_level = app_client.post(
        "/api/v1/mode", headers=commander, json={"mode": "emergency", "reason": "台风"}
    )
    assert no_level.status_code == 422 and no_level.json()["field"] == "level"
    declared = app_client.post(
        "/api/v1/mode",
        headers=commander,
        json={"mode": "emergency", "level": "II", "reason": "台风“海葵”过境，启动防台II级响应"},
    )
    assert declared.status_code == 201
    assert declared.json()["mode"] == "emergency" and declared.json()["level"] == "II"
    assert app_client.get("/api/v1/mode", headers=commander).json()["mode"] == "emergency"

    handler = sign_in(app_client, "mode-handler")
    refused = app_client.post(
        "/api/v1/mode", headers=handler, json={"mode": "peacetime", "reason": "结束"}
    )
    assert refused.status_code == 403
    other = app_client.post(
        "/api/v1/mode",
        headers=commander,
        json={"township_code": "330825001", "mode": "peacetime", "reason": "不是我的乡镇"},
    )
    assert other.status_code == 403 and other.json()["field"] == "township_code"

    ended = app_client.post(
        "/api/v1/mode",
        headers=commander,
        json={"mode": "peacetime", "reason": "台风已过，解除响应"},
    )
    assert ended.json()["mode"] == "peacetime"
    history = session.execute(
        text("SELECT mode, level FROM mode_change WHERE township_code = '330825100' ORDER BY id")
    ).all()
    assert history == [("emergency", "II"), ("peacetime", None)]
