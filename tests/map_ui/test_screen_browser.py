"""The command screen in real headless Chromium, against a running server on the demo data.

One walk through what a duty officer does: open the screen, read the figures, find and accept
an event from its card, click the map to ask where a point belongs, draw a polygon and count
what is inside, and watch a newly reported event arrive without reloading. Screenshots at the
wall (1920x1080) and desk (1366x768) sizes go to test-output/.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from api.demo.people import DEMO_PASSWORD
from tests.browser import chromium_page, sign_in_page

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
TOWNSHIP = "330825001"  # 龙洲街道, where the demo commander `zhs` works

LAYERS = """
() => {
  const s = Shuxin.screen.state();
  const counts = {township: 0, village: 0, grid: 0, events: 0, clusters: 0, ids: []};
  s.map.eachLayer(layer => {
    const f = layer.feature;
    if (!f || !f.properties) return;
    if (f.geometry && f.geometry.type === 'Point') {
      if (f.properties.cluster) counts.clusters += 1;
      else { counts.events += 1; counts.ids.push(f.id); }
    } else if (f.properties.level in counts) counts[f.properties.level] += 1;
  });
  return counts;
}
"""

MARKER_ELEMENT = """
(id) => {
  let found = null;
  Shuxin.screen.state().map.eachLayer(layer => {
    if (layer.feature && layer.feature.id === id && layer._icon) {
      layer.setZIndexOffset(10000);  // above other events reported at the same spot
      found = layer._icon;
    }
  });
  if (found) found.setAttribute('data-test-target', 'event-' + id);
  return found !== null;
}
"""


def _post(base: str, headers: dict, **fields) -> dict:
    body = {
        "category_code": "0102",
        "source": "grid_worker",
        "lon": 119.175,
        "lat": 29.05,
        "external_id": f"screen-{uuid.uuid4()}",
        **fields,
    }
    answer = httpx.post(f"{base}/api/v1/events", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def commander_headers(live_server) -> dict[str, str]:
    answer = httpx.post(
        f"{live_server}/api/v1/auth/token", data={"username": "zhs", "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module")
def township_point(live_server, commander_headers) -> tuple[float, float]:
    """A point inside a grid of the commander's township."""
    grids = httpx.get(f"{live_server}/api/v1/boundaries?level=grid", headers=commander_headers)
    for feature in grids.json()["features"]:
        if feature["properties"]["code"].startswith(TOWNSHIP):
            import shapely.geometry

            point = shapely.geometry.shape(feature["geometry"]).representative_point()
            return point.x, point.y
    raise AssertionError("the demo has no grid in 龙洲街道")


def test_the_duty_officer_works_from_the_screen(live_server, commander_headers, township_point):
    lon, lat = township_point
    xss = _post(
        live_server,
        commander_headers,
        lon=lon,
        lat=lat,
        title="<img src=x onerror=alert(1)>",
        description="<script>alert(1)</script>",
    )
    OUTPUT.mkdir(exist_ok=True)
    with chromium_page(viewport=(1920, 1080)) as (page, requests, dialogs):
        sign_in_page(page, live_server, "zhs", DEMO_PASSWORD, next_path="/screen")
        page.wait_for_function(
            f"() => {{ const c = ({LAYERS})(); "
            "return c.village > 0 && (c.events + c.clusters) > 0; }",
            timeout=20_000,
        )

        # The layers: boundaries of every level that is switched on, events or clusters.
        counts = page.evaluate(LAYERS)
        assert counts["township"] == 15 and counts["village"] == 288
        assert counts["events"] + counts["clusters"] > 0
        # The grid layer starts switched off and loads when switched on.
        assert counts["grid"] == 0
        page.locator(".leaflet-control-layers").hover()
        page.locator(".leaflet-control-layers-overlays label", has_text="网格").click()
        page.wait_for_function(f"() => ({LAYERS})().grid === 1312", timeout=15_000)
        page.mouse.move(5, 5)

        # Names on the map at this zoom (the township's villages, or its grids).
        page.locator(".sx-label").first.wait_for(timeout=10_000)
        labels = page.locator(".sx-label").all_inner_texts()
        assert labels and all(label.strip() for label in labels)
        control = page.locator(".leaflet-control-layers-overlays").inner_text()
        for name in ("乡镇/街道", "村/社区", "网格", "事件", "热力图", "隐患点", "避灾安置点"):
            assert name in control

        # The figures on the panel are the API's own counts.
        page.wait_for_function(
            "() => document.querySelector('[data-figure=received] b').textContent !== '0'",
            timeout=15_000,
        )
        summary = httpx.get(
            f"{live_server}/api/v1/screen/summary?range=30d", headers=commander_headers
        ).json()
        for figure in ("received", "closed", "overdue", "at_risk", "escalated"):
            shown = page.locator(f"[data-figure={figure}] b").inner_text()
            assert int(shown) == summary["today"][figure], figure
        today = time.strftime("%Y-%m-%dT00:00:00+08:00", time.gmtime(time.time() + 8 * 3600))
        received = httpx.get(
            f"{live_server}/api/v1/events",
            params={"reported_from": today, "township": TOWNSHIP, "limit": 1},
            headers=commander_headers,
        ).json()["total"]
        assert summary["today"]["received"] >= received  # plus unrouted events it may see
        overdue = httpx.get(
            f"{live_server}/api/v1/queues/overdue?limit=500", headers=commander_headers
        ).json()
        assert summary["today"]["overdue"] == len(overdue)

        # The markup event shows as text in the list and in its card, and runs nothing.
        newest = page.locator("#sx-list-newest")
        newest.get_by_text("<img src=x onerror=alert(1)>").first.wait_for(timeout=15_000)
        newest.get_by_text("<img src=x onerror=alert(1)>").first.click()
        card = page.locator("#sx-card")
        card.get_by_text("<script>alert(1)</script>").wait_for(timeout=10_000)
        assert card.locator("h3").inner_text() == "<img src=x onerror=alert(1)>"

        # Find the event on the map by its number, click its marker, accept it from the card.
        page.fill("#sx-search", str(xss["id"]))
        page.locator("#sx-search-results button").first.click()
        page.wait_for_function(MARKER_ELEMENT, arg=xss["id"], timeout=15_000)
        card.locator(".sx-close").click()
        assert card.is_hidden()
        page.locator(f"[data-test-target=event-{xss['id']}]").click()
        card.locator("button[data-action=accept]").wait_for(timeout=10_000)
        card.locator("button[data-action=accept]").click()
        card.locator("form[data-action=accept] button[type=submit]").click()
        page.wait_for_function(
            "() => document.querySelector('#sx-card .sx-chip').textContent === '已受理'",
            timeout=10_000,
        )
        after = httpx.get(
            f"{live_server}/api/v1/events/{xss['id']}", headers=commander_headers
        ).json()
        assert after["status"] == "accepted" and after["version"] == xss["version"] + 1
        page.locator("#sx-card .sx-close").click()

        # Click the map: which grid, village and township the point belongs to.
        box = page.locator(".folium-map").bounding_box()
        # Off-centre: the centre is the event just found.
        x, y = box["x"] + box["width"] * 0.22, box["y"] + box["height"] * 0.78
        latlng = page.evaluate(
            "([x, y]) => { const m = Shuxin.screen.state().map; const r = m.getContainer()"
            ".getBoundingClientRect(); const ll = m.containerPointToLatLng([x - r.left, "
            "y - r.top]); return [ll.lng, ll.lat]; }",
            [x, y],
        )
        page.mouse.click(x, y)
        popup = page.locator(".leaflet-popup-content .sx-where")
        popup.wait_for(timeout=10_000)
        routed = httpx.get(
            f"{live_server}/api/v1/route",
            params={"lon": round(latlng[0], 6), "lat": round(latlng[1], 6)},
            headers=commander_headers,
        ).json()
        expected = routed["grid"]["name"] if routed["grid"] else "不在任何网格内"
        assert popup.locator("strong").inner_text() == expected
        page.keyboard.press("Escape")

        # Draw a polygon with the mouse; the count shown is the API's count for that shape.
        page.locator(".leaflet-draw-draw-polygon").click()
        corners = [(0.30, 0.30), (0.70, 0.30), (0.70, 0.70), (0.30, 0.70)]
        points = [
            (box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in corners
        ]
        for px, py in points:
            page.mouse.click(px, py)
            page.wait_for_timeout(150)
        page.mouse.click(*points[0])
        drawn = page.locator("#sx-drawn .sx-drawn-count")
        drawn.wait_for(timeout=10_000)
        ring = page.evaluate(
            "(pts) => { const m = Shuxin.screen.state().map; const r = m.getContainer()"
            ".getBoundingClientRect(); return pts.map(([x, y]) => { const ll = "
            "m.containerPointToLatLng([x - r.left, y - r.top]); return [ll.lng, ll.lat]; }); }",
            points,
        )
        within = httpx.post(
            f"{live_server}/api/v1/screen/within",
            headers=commander_headers,
            json={
                "range": "30d",
                "geometry": {"type": "Polygon", "coordinates": [ring + [ring[0]]]},
            },
        ).json()
        assert int(drawn.inner_text()) == within["count"]
        assert within["count"] > 0

        page.screenshot(path=str(OUTPUT / "screen-1920x1080.png"))

        # Live: an event reported now shows on the open page within 10 seconds.
        fresh = _post(
            live_server,
            commander_headers,
            lon=lon,
            lat=lat,
            title=f"实时测试 {uuid.uuid4().hex[:6]}",
        )
        started = time.monotonic()
        newest.get_by_text(fresh["title"]).wait_for(timeout=10_000)
        assert time.monotonic() - started < 10

        page.set_viewport_size({"width": 1366, "height": 768})
        page.wait_for_timeout(800)
        page.screenshot(path=str(OUTPUT / "screen-1366x768.png"))
        assert dialogs == [], "markup in an event ran as script"

    server = urlparse(live_server).netloc
    elsewhere = [
        u
        for u in requests
        if urlparse(u).netloc not in (server, "") and not re.match(r"^(data|blob):", u)
    ]
    assert elsewhere == [], f"the screen asked other hosts: {elsewhere}"


def test_the_screen_needs_a_signed_in_command_room_user(live_server):
    answer = httpx.get(f"{live_server}/screen", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    token = httpx.post(
        f"{live_server}/api/v1/auth/token", data={"username": "zhifa", "password": DEMO_PASSWORD}
    ).json()
    refused = httpx.get(
        f"{live_server}/api/v1/screen/summary",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert refused.status_code == 403
    assert "command screen" in refused.json()["message"]


def test_an_emergency_shows_in_red_with_hazards_and_shelters(live_server, commander_headers):
    declared = httpx.post(
        f"{live_server}/api/v1/mode",
        headers=commander_headers,
        json={"mode": "emergency", "level": "II", "reason": "台风过境，启动防台II级响应"},
    )
    assert declared.status_code == 201, declared.text
    try:
        with chromium_page(viewport=(1366, 768)) as (page, _, _):
            sign_in_page(page, live_server, "zhs", DEMO_PASSWORD, next_path="/screen")
            banner = page.locator("#sx-emergency")
            banner.wait_for(state="visible", timeout=10_000)
            assert "II级响应" in banner.inner_text() and "台风过境" in banner.inner_text()
            assert "sx-mode-war" in page.locator("#sx-mode").get_attribute("class")
            page.locator(".sx-poi-icon").first.wait_for(timeout=10_000)
            OUTPUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT / "screen-emergency-1366x768.png"))
    finally:
        httpx.post(
            f"{live_server}/api/v1/mode",
            headers=commander_headers,
            json={"mode": "peacetime", "reason": "解除响应"},
        )


def test_the_page_is_small(live_server):
    with httpx.Client(base_url=live_server) as client:
        client.post("/login", data={"username": "zhs", "password": DEMO_PASSWORD})
        page = client.get("/screen")
    assert page.status_code == 200
    assert len(page.content) < 300_000
    assert '"type": "Feature"' not in page.text
