"""The phone page (/m) in real headless Chromium's mobile emulation (390x844, touch, a
geolocation override), against a running server on the demo data.

What a grid worker and a handler do with it: report with a photo and see the event on the
command screen; report twice without a signal, close the page, open it again (still without a
signal), and see exactly two events arrive once the signal returns; a sign-in that ended while
reports waited; a handler who acknowledges, starts and feeds back a task (and is told in plain
words when someone else changed it first), which the commander then verifies on the screen; a
patrol of a few positions that shows as a track. Screenshots at 390x844 go to test-output/.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import shapely.geometry
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from api.demo.people import DEMO_PASSWORD
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in_page

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
PHONE = {"width": 390, "height": 844}
HANDLER_UNIT = "330825001-zhifa"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module; each test opens its own phones (contexts)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _token(base: str, login: str) -> dict[str, str]:
    answer = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": login, "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module")
def people(live_server) -> dict[str, dict[str, str]]:
    return {login: _token(live_server, login) for login in ("wgy", "zhs", "zhifa")}


@pytest.fixture(scope="module")
def grid_point(live_server, people) -> tuple[float, float, str]:
    """A point inside the grid worker's own grid: (lon, lat, grid code)."""
    me = httpx.get(f"{live_server}/api/v1/me", headers=people["wgy"]).json()
    code = me["unit"]["code"]
    grid = httpx.get(f"{live_server}/api/v1/boundaries/{code}", headers=people["wgy"]).json()
    point = shapely.geometry.shape(grid["geometry"]).representative_point()
    return point.x, point.y, code


def _phone(browser: Browser, lon: float, lat: float, accuracy: float = 8.0) -> BrowserContext:
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation={"longitude": lon, "latitude": lat, "accuracy": accuracy},
        permissions=["geolocation"],
    )
    context.on("page", lambda page: page.on("dialog", lambda dialog: dialog.accept()))
    return context


def _open(context: BrowserContext, base: str, login: str) -> Page:
    page = context.new_page()
    sign_in_page(page, base, login, DEMO_PASSWORD, next_path="/m")
    page.locator(".m-nav").wait_for()
    return page


def _tab(page: Page, name: str) -> None:
    page.locator(f".m-nav button[data-tab={name}]").click()
    page.locator(f"#m-tab-{name}").wait_for()


def _fill_report(page: Page, title: str) -> None:
    """Pick 暴露垃圾 by its pinyin initials, give a title, wait for the GPS fix."""
    page.locator("#m-category").click()
    page.locator(".m-search").fill("bllj")
    page.locator(".m-option[data-code='0102']").click()
    assert page.locator("#m-category").inner_text().startswith("暴露垃圾")
    page.locator("input[name=title]").fill(title)
    page.locator("#m-gps.m-good").wait_for(timeout=10_000)


def _outbox_states(page: Page) -> list[str]:
    return page.locator("#m-outbox li").evaluate_all("ls => ls.map(l => l.dataset.state)")


def _photo(path: Path) -> Path:
    """A camera-sized photo (4000x3000), which the page must make smaller before sending."""
    image = Image.new("RGB", (4000, 3000), (90, 140, 60))
    image.paste((200, 60, 40), (1000, 800, 3000, 2200))
    image.save(path, format="JPEG", quality=90)
    return path


def _events_titled(base: str, headers: dict, text: str) -> list[dict]:
    answer = httpx.get(f"{base}/api/v1/events", params={"q": text, "limit": 50}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_a_grid_worker_reports_with_a_photo_and_the_screen_shows_it(
    browser, live_server, people, grid_point, tmp_path
):
    lon, lat, grid = grid_point
    title = f"桥头暴露垃圾 {uuid.uuid4().hex[:6]}"
    OUTPUT.mkdir(exist_ok=True)
    context = _phone(browser, lon, lat)
    try:
        page = _open(context, live_server, "wgy")
        _fill_report(page, title)
        page.locator("textarea[name=description]").fill("桥头东侧一堆生活垃圾未清运")
        page.locator("#m-album").set_input_files(str(_photo(tmp_path / "big.jpg")))
        page.locator("#m-photos .m-photo").wait_for()
        assert page.locator("#m-photo-count").inner_text() == "1/9"
        # Before sending: where the point routes to, and the accuracy of the fix.
        route = page.locator("#m-route")
        route.get_by_text("将派往").wait_for(timeout=10_000)
        routed = httpx.get(
            f"{live_server}/api/v1/route", params={"lon": lon, "lat": lat}, headers=people["wgy"]
        ).json()
        assert f"网格：{routed['grid']['name']}" in route.inner_text()
        assert "±8 米" in page.locator("#m-gps").inner_text()
        no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert no_scroll, "the report page scrolls sideways at 390 px"
        page.screenshot(path=str(OUTPUT / "mobile-report-390x844.png"))
        page.locator("#m-locate").scroll_into_view_if_needed()
        page.screenshot(path=str(OUTPUT / "mobile-report-where-390x844.png"))

        page.locator("#m-send").click()
        _tab(page, "outbox")
        page.locator("#m-outbox li[data-state=sent]").first.wait_for(timeout=20_000)
        card = page.locator("#m-outbox li[data-state=sent]").first
        assert title in card.inner_text()
        number = int(card.locator(".m-event-no").inner_text().split()[-1])
    finally:
        context.close()

    event = httpx.get(f"{live_server}/api/v1/events/{number}", headers=people["zhs"]).json()
    assert event["title"] == title and event["routing"]["grid_code"] == grid
    assert event["source"] == "grid_worker" and event["external_id"].startswith("m-wgy-")
    photos = httpx.get(
        f"{live_server}/api/v1/events/{number}/attachments", headers=people["zhs"]
    ).json()
    assert len(photos) == 1
    data = httpx.get(f"{live_server}{photos[0]['url']}", headers=people["zhs"]).content
    with Image.open(io.BytesIO(data)) as stored:
        assert max(stored.size) <= 1600, "the photo was not made smaller on the phone"
        assert not stored.getexif(), "the stored photo kept its EXIF"

    # The command room sees it on the screen.
    desk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        screen = desk.new_page()
        sign_in_page(screen, live_server, "zhs", DEMO_PASSWORD, next_path="/screen")
        screen.locator("#sx-list-newest").get_by_text(title).wait_for(timeout=20_000)
        screen.locator("#sx-list-newest").get_by_text(title).click()
        screen.locator("#sx-card h3").get_by_text(title).wait_for(timeout=10_000)
    finally:
        desk.close()


def test_two_reports_without_a_signal_arrive_once_each_after_a_restart(
    browser, live_server, people, grid_point
):
    lon, lat, _ = grid_point
    token = uuid.uuid4().hex[:8]
    context = _phone(browser, lon, lat)
    try:
        page = _open(context, live_server, "wgy")
        # The service worker has kept the page and its files: it opens without a signal.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_function("caches.keys().then(k => k.length > 0)", timeout=10_000, polling=500)
        context.set_offline(True)
        for n in (1, 2):
            _fill_report(page, f"离线上报 {token} 第{n}条")
            page.locator("#m-send").click()
            page.locator("#m-toast").get_by_text("无信号：已保存在手机上").wait_for()
        _tab(page, "outbox")
        assert _outbox_states(page)[:2] == ["waiting", "waiting"]
        assert page.locator("#m-net").inner_text() == "无信号"
        page.close()

        # The phone restarts: the page opens again, still without a signal.
        page = context.new_page()
        page.goto(f"{live_server}/m")
        page.locator(".m-nav").wait_for()
        assert page.evaluate("navigator.onLine") is False
        _tab(page, "outbox")
        page.locator("#m-outbox li[data-state=waiting]").nth(1).wait_for()
        assert _events_titled(live_server, people["zhs"], token) == []

        context.set_offline(False)
        page.locator("#m-outbox li[data-state=sent]").nth(1).wait_for(timeout=30_000)
        # Everything is sent; a later flush (the page's timer, another 'online') sends nothing.
        page.evaluate("Shuxin.mobile.flush()")
    finally:
        context.close()
    events = _events_titled(live_server, people["zhs"], token)
    assert sorted(e["title"] for e in events) == [
        f"离线上报 {token} 第1条",
        f"离线上报 {token} 第2条",
    ]
    # In the order they were made.
    first, second = sorted(events, key=lambda e: e["id"])
    assert first["title"].endswith("第1条") and second["title"].endswith("第2条")


def test_reports_wait_for_the_next_sign_in_when_it_ended(browser, live_server, people, grid_point):
    lon, lat, _ = grid_point
    token = uuid.uuid4().hex[:8]
    context = _phone(browser, lon, lat)
    try:
        page = _open(context, live_server, "wgy")
        context.set_offline(True)
        _fill_report(page, f"登录过期 {token}")
        page.locator("#m-send").click()
        page.locator("#m-toast").get_by_text("无信号").wait_for()
        # The sign-in ends while the phone has no signal (here: its cookie is gone).
        context.clear_cookies()
        context.set_offline(False)
        banner = page.locator("#m-banner")
        banner.get_by_text("登录已过期").wait_for(timeout=20_000)
        assert "1 条上报保存在手机上" in banner.inner_text()
        _tab(page, "outbox")
        assert _outbox_states(page)[0] == "waiting"
        assert _events_titled(live_server, people["zhs"], token) == []

        banner.get_by_role("button", name="重新登录").click()
        page.wait_for_url("**/login**")
        page.fill("input[name=username]", "wgy")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/m")
        _tab(page, "outbox")
        page.locator("#m-outbox li[data-state=sent]").first.wait_for(timeout=20_000)
    finally:
        context.close()
    assert len(_events_titled(live_server, people["zhs"], token)) == 1


def _assigned_event(base: str, people: dict, lon: float, lat: float) -> dict:
    """An event reported by the grid worker, accepted and assigned to the platform."""
    title = f"占道经营 {uuid.uuid4().hex[:6]}"
    event = httpx.post(
        f"{base}/api/v1/events",
        headers=people["wgy"],
        json={"title": title, "category_code": "0102", "source": "grid_worker", "lon": lon,
              "lat": lat, "external_id": f"mb-{uuid.uuid4()}"},
    ).json()  # fmt: skip
    for action, body in (("accept", {}), ("assign", {"lead_unit": HANDLER_UNIT})):
        answer = httpx.post(
            f"{base}/api/v1/events/{event['id']}/actions/{action}",
            headers=people["zhs"],
            json={"version": event["version"], **body},
        )
        assert answer.status_code == 200, answer.text
        event = answer.json()
    return event


def _act(page: Page, event_id: int, action: str) -> None:
    page.locator(f"#m-tasks li[data-id='{event_id}'] button[data-action={action}]").click()
    page.locator("#m-sheet form").wait_for()


def test_a_handler_handles_a_task_from_the_phone_and_the_commander_verifies_it(
    browser, live_server, people, grid_point, tmp_path
):
    lon, lat, _ = grid_point
    event = _assigned_event(live_server, people, lon, lat)
    context = _phone(browser, lon, lat)
    try:
        page = _open(context, live_server, "zhifa")
        _tab(page, "tasks")
        card = page.locator(f"#m-tasks li[data-id='{event['id']}']")
        card.wait_for(timeout=15_000)
        assert card.locator(".m-left").inner_text().startswith("剩余")
        assert "工作时" in card.locator(".m-left").inner_text()
        # The next step first: 签收, then 开始处置, then 处置反馈 (the table's words).
        assert card.locator(".m-actions button").first.inner_text() == "签收"
        page.screenshot(path=str(OUTPUT / "mobile-tasks-390x844.png"))

        _act(page, event["id"], "acknowledge")
        page.locator("#m-sheet button[type=submit]").click()
        page.locator("#m-toast").get_by_text("签收成功").wait_for(timeout=10_000)
        card.locator("button[data-action=start]").wait_for(timeout=10_000)

        # The commander changes the event meanwhile: the phone says so in plain words.
        seen = httpx.get(f"{live_server}/api/v1/events/{event['id']}", headers=people["zhs"])
        supervised = httpx.post(
            f"{live_server}/api/v1/events/{event['id']}/actions/supervise",
            headers=people["zhs"],
            json={"version": seen.json()["version"], "level": "yellow", "message": "请今天办结"},
        )
        assert supervised.status_code == 200, supervised.text
        _act(page, event["id"], "start")
        page.locator("#m-sheet button[type=submit]").click()
        note = page.locator("#m-sheet .m-note")
        note.get_by_text("这个事件刚被别人更新了").wait_for(timeout=10_000)
        page.locator("#m-sheet .m-sheet-head button").click()
        card.locator(".m-order").get_by_text("请今天办结").wait_for(timeout=10_000)

        _act(page, event["id"], "start")
        page.locator("#m-sheet button[type=submit]").click()
        page.locator("#m-toast").get_by_text("开始处置成功").wait_for(timeout=10_000)

        _act(page, event["id"], "answer_supervision")
        page.locator("#m-sheet textarea[name=answer]").fill("已安排人员今天处理")
        page.locator("#m-sheet button[type=submit]").click()
        page.locator("#m-toast").get_by_text("督办回复成功").wait_for(timeout=10_000)

        _act(page, event["id"], "feedback")
        page.locator("#m-sheet textarea[name=text]").fill("已清理完毕，现场恢复整洁")
        page.locator("#m-sheet input[type=file]").set_input_files(
            str(_photo(tmp_path / "after.jpg"))
        )
        page.locator("#m-sheet .m-photo").wait_for()
        page.locator("#m-sheet button[type=submit]").click()
        page.locator("#m-toast").get_by_text("处置反馈成功").wait_for(timeout=20_000)
        card.wait_for(state="detached", timeout=10_000)
    finally:
        context.close()

    handled = httpx.get(f"{live_server}/api/v1/events/{event['id']}", headers=people["zhs"])
    assert handled.json()["status"] == "handled"
    timeline = httpx.get(
        f"{live_server}/api/v1/events/{event['id']}/timeline", headers=people["zhs"]
    ).json()
    feedback = [t for t in timeline if t["action"] == "feedback"][0]
    assert feedback["actor"] == "李执法" and len(feedback["attachment_ids"]) == 1

    desk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        screen = desk.new_page()
        sign_in_page(screen, live_server, "zhs", DEMO_PASSWORD, next_path="/screen")
        screen.fill("#sx-search", str(event["id"]))
        screen.locator("#sx-search-results button").first.click()
        card = screen.locator("#sx-card")
        card.locator("button[data-action=verify]").click()
        card.locator("form[data-action=verify] button[type=submit]").click()
        screen.wait_for_function(
            "() => document.querySelector('#sx-card .sx-chip').textContent === '已结案'",
            timeout=10_000,
        )
    finally:
        desk.close()
    actions = [
        t["action"]
        for t in httpx.get(
            f"{live_server}/api/v1/events/{event['id']}/timeline", headers=people["zhs"]
        ).json()
    ]
    assert actions[-5:] == ["supervise", "start", "answer_supervision", "feedback", "verify"]


def test_a_patrol_of_a_few_positions_shows_as_a_track(browser, live_server, people, grid_point):
    lon, lat, grid = grid_point
    walk = [(lon + 0.0004 * i, lat + 0.0002 * i) for i in range(4)]
    context = _phone(browser, *walk[0])
    try:
        page = _open(context, live_server, "wgy")
        _tab(page, "patrol")
        page.locator("#m-patrol-toggle").click()
        page.locator("#m-patrol-state").get_by_text("巡查中").wait_for()
        for n, (x, y) in enumerate(walk[1:], start=2):
            context.set_geolocation({"longitude": x, "latitude": y, "accuracy": 6})
            page.wait_for_function(
                f"Number(document.getElementById('m-patrol-points').textContent) >= {n}",
                timeout=15_000,
            )
        page.screenshot(path=str(OUTPUT / "mobile-patrol-390x844.png"))
        page.locator("#m-patrol-toggle").click()  # ends it (the confirmation is accepted)
        page.locator("#m-patrol-state").get_by_text("未在巡查").wait_for()
        page.wait_for_function(
            "document.getElementById('m-patrol-waiting').textContent === '0'", timeout=15_000
        )
        page.locator("#m-patrols li.m-patrol-row").first.wait_for(timeout=15_000)
    finally:
        context.close()

    lines = httpx.get(
        f"{live_server}/api/v1/patrols", params={"f": "geojson"}, headers=people["zhs"]
    ).json()["features"]
    mine = [f for f in lines if f["properties"]["user_name"] == "赵网格"]
    assert mine, "the command room does not see the grid worker's patrol"
    track = mine[-1]
    assert track["properties"]["state"] == "ended"
    assert track["properties"]["grid_code"] == grid
    assert track["geometry"]["type"] == "LineString"
    assert len(track["geometry"]["coordinates"]) >= 4
    assert track["properties"]["distance_m"] > 100

    desk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        screen = desk.new_page()
        sign_in_page(screen, live_server, "zhs", DEMO_PASSWORD, next_path="/screen")
        control = screen.locator(".leaflet-control-layers-overlays")
        assert "今日巡查" in control.inner_text()
        screen.wait_for_function(
            "(id) => { let found = false; Shuxin.screen.state().map.eachLayer(l => {"
            " if (l.feature && l.feature.id === id && l.getLatLngs) found = true; });"
            " return found; }",
            arg=track["id"],
            timeout=20_000,
        )
    finally:
        desk.close()


def test_the_page_is_light_and_runs_no_inline_script(live_server):
    with httpx.Client(base_url=live_server) as client:
        client.post("/login", data={"username": "wgy", "password": DEMO_PASSWORD})
        page = client.get("/m")
        worker = client.get("/m/sw.js")
        manifest = client.get("/m/manifest.webmanifest")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert worker.headers["service-worker-allowed"] == "/m"
    assert worker.headers["content-type"].startswith("text/javascript")
    assert manifest.json()["start_url"] == "/m" and manifest.json()["display"] == "standalone"
    # The page weight and first-render figures are measured in benchmarks/mobile.py.
    assert len(page.content) < 100_000
