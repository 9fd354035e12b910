"""What the phone page is given: the task actions of the one action table, their words and
forms from the bodies' own titles, the catalog with pinyin initials; who may open it."""

from __future__ import annotations

import json
import re

from api.events.transitions import ACTIONS
from api.pages.mobile import initials, phone_action
from api.units.service import sync_units
from tests.conftest import bearer


def test_the_phone_offers_the_unit_actions_of_the_table_with_their_forms():
    phone = [phone_action(spec) for spec in ACTIONS.values() if spec.on_phone]
    assert [(a.action, a.label) for a in phone] == [
        ("acknowledge", "签收"),
        ("start", "开始处置"),
        ("return", "退回"),
        ("feedback", "处置反馈"),
        ("request_extension", "申请延期"),
        ("answer_supervision", "督办回复"),
    ]
    forms = {a.action: {f.name: f for f in a.fields} for a in phone}
    assert set(forms["acknowledge"]) == {"comment"}  # version and task_id the page fills in
    feedback = forms["feedback"]
    assert (feedback["text"].title, feedback["text"].kind, feedback["text"].required) == (
        "处置情况", "text", True)  # fmt: skip
    assert feedback["result"].choices == (
        ("resolved", "已解决"), ("partially_resolved", "部分解决"), ("unresolvable", "无法解决")
    )  # fmt: skip
    assert feedback["attachment_ids"].kind == "photos"
    assert forms["request_extension"]["new_due"].kind == "datetime"
    assert forms["answer_supervision"]["supervision_id"].kind == "order"
    assert {a.action: a.task_from for a in phone}["start"] == ("acknowledged",)


def test_categories_are_found_by_their_pinyin_initials():
    assert initials("暴露垃圾") == "bllj"
    assert initials("绿地养护") == "ldyh"


def test_the_page_is_for_who_reports_or_handles(app_client, session, grid_set, make_user):
    sync_units(session=session, set_id=grid_set.id, county_code="330825", county_name="龙游县")
    make_user("m-wgy", "grid_worker", "330825100001001")
    make_user("m-viewer", "viewer", "330825100-ZHS")
    for login, status in (("m-wgy", 200), ("m-viewer", 403)):
        token = bearer(session, login)["Authorization"].removeprefix("Bearer ")
        app_client.cookies.set("shuxin_token", token)
        answer = app_client.get("/m", follow_redirects=False)
        assert answer.status_code == status, login
    app_client.cookies.clear()
    assert app_client.get("/m", follow_redirects=False).headers["location"] == "/login?next=/m"
    token = bearer(session, "m-wgy")["Authorization"].removeprefix("Bearer ")
    app_client.cookies.set("shuxin_token", token)
    html = app_client.get("/m").text
    config = json.loads(re.search(r'type="application/json">(.*?)</script>', html, re.S).group(1))
    assert config["user"]["login"] == "m-wgy" and config["source"] == "grid_worker"
    assert config["can_patrol"] and config["has_tasks"]
    garbage = [c for c in config["categories"] if c["code"] == "0102"][0]
    assert garbage["initials"] == "bllj"
