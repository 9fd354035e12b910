"""The phone page as HTML: plain markup and static scripts only (a Content-Security-Policy
without 'unsafe-inline' must not break it), its data in one JSON block that is never run."""

from __future__ import annotations

import json
import re

from map_ui.mobile import (
    FormField,
    MobileConfig,
    PhoneAction,
    cached_urls,
    render_manifest,
    render_mobile,
    render_service_worker,
)

CONFIG = MobileConfig(
    place="龙洲街道",
    user={"login": "wgy", "name": "</script><script>alert(1)</script>", "role": "grid_worker",
          "unit_name": "第1网格"},
    categories=({"code": "0102", "name": "暴露垃圾", "parent_code": "01", "initials": "bllj"},),
    actions=(PhoneAction("acknowledge", "签收", ("pending",), ()),
             PhoneAction("return", "退回", (), (FormField("reason", "退回原因", "text", True),))),
)  # fmt: skip


def test_the_page_runs_no_inline_script_and_no_inline_handler():
    html = render_mobile(CONFIG)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    for attributes, body in scripts:
        if "src=" in attributes:
            assert body == ""
        else:
            assert 'type="application/json"' in attributes
    assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler"
    assert "javascript:" not in html


def test_the_config_cannot_close_its_block_and_reads_back():
    html = render_mobile(CONFIG)
    block = re.search(r'<script id="sx-config" type="application/json">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    assert data["user"]["name"] == "</script><script>alert(1)</script>"
    assert [a["action"] for a in data["actions"]] == ["acknowledge", "return"]
    assert data["actions"][1]["fields"][0] == {
        "name": "reason", "title": "退回原因", "kind": "text", "required": True, "choices": []
    }  # fmt: skip
    assert 'data-tab="patrol"' in html and 'lang="zh-CN"' in html
    assert '<link rel="manifest" href="/m/manifest.webmanifest">' in html


def test_every_file_is_the_apps_own_and_versioned():
    html = render_mobile(CONFIG)
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert links and all(link.startswith("/") and not link.startswith("//") for link in links)
    version = re.search(r'"version": "(\w+)"', html).group(1)
    assets = [u for u in cached_urls() if u.startswith("/static/")]
    assert assets and all(u.endswith(f"?v={version}") for u in assets)
    assert all(u in html for u in assets if "icons/shuxin-512" not in u)


def test_the_worker_keeps_the_page_and_the_manifest_opens_it():
    worker = render_service_worker()
    head = json.loads(worker.splitlines()[0].removeprefix("self.SHUXIN_CACHE = ").rstrip(";"))
    assert head["urls"][:2] == ["/m", "/m/manifest.webmanifest"]
    assert "/static/vendor/leaflet/leaflet.js" in " ".join(head["urls"])
    manifest = json.loads(render_manifest())
    assert manifest["scope"] == "/m" and manifest["start_url"] == "/m"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
