"""The access audit log: who did what, when, from where; nobody edits it; the administrator and
the county centre read it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import sign_in


def test_sign_ins_mode_changes_and_refusals_are_recorded_and_read_back(
    app_client, session, grid_set, make_user
):
    from api.units.service import sync_units

    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    make_user("au-admin", "admin")
    make_user("au-county", "county", "330825-ZX")
    make_user("au-zhs", "commander", "330825100-ZHS")
    zhs = sign_in(app_client, "au-zhs")
    app_client.post("/api/v1/auth/token", data={"username": "au-zhs", "password": "nope-nope"})
    declared = app_client.post(
        "/api/v1/mode", headers=zhs, json={"mode": "emergency", "level": "II", "reason": "台风"}
    )
    assert declared.status_code == 201, declared.text
    refused = app_client.get("/api/v1/audit", headers=zhs)
    assert refused.status_code == 403

    for reader in ("au-admin", "au-county"):
        headers = sign_in(app_client, reader)
        entries = app_client.get("/api/v1/audit", params={"login": "au-zhs"}, headers=headers)
        assert entries.status_code == 200, entries.text
        seen = [(e["action"], e["target"]) for e in entries.json()]
        assert seen == [  # newest first
            ("forbidden", "GET /api/v1/audit"),
            ("mode_changed", "township 330825100"),
            ("sign_in_failed", "user au-zhs"),
            ("sign_in", "user au-zhs"),
        ]
        last = entries.json()[0]
        assert (last["role"], last["unit_code"], last["address"]) == (
            "commander", "330825100-ZHS", "testclient",
        )  # fmt: skip
    only = app_client.get("/api/v1/audit", params={"action": "mode_changed", "login": "au-zhs"},
                          headers=sign_in(app_client, "au-admin"))  # fmt: skip
    assert [e["details"]["reason"] for e in only.json()] == ["台风"]


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET login = 'x'", "DELETE FROM audit_log"])
def test_nobody_edits_the_audit_log(session, statement):
    session.execute(text("INSERT INTO audit_log (action, login) VALUES ('sign_in', 'au-x')"))
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement))
