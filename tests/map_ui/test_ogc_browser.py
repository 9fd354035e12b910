"""The OGC API's HTML views in real headless Chromium, on a running server with the demo: a
person signs in, opens the grids and an event as a GIS user would browse them, sees the map draw
the features from the app's own files (no other host), and follows the next link. Screenshots
go to test-output/ (ogc-grids.png, ogc-event.png)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import httpx

from api.demo.people import DEMO_PASSWORD
from tests.browser import chromium_page, sign_in_page

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"

DRAWN = """
() => {
  const frame = document.getElementById('sx-ogc-map');
  const win = frame && frame.contentWindow;
  if (!win || !win.L) return -1;
  let count = 0;
  for (const key of Object.keys(win)) {
    const value = win[key];
    if (value && value instanceof win.L.Map) {
      value.eachLayer(layer => { if (layer.feature) count += 1; });
    }
  }
  return count;
}
"""


def test_a_gis_user_browses_the_grids_and_an_event(live_server, live_admin_headers):
    OUTPUT.mkdir(exist_ok=True)
    event = httpx.get(
        f"{live_server}/ogc/collections/events/items",
        params={"limit": 1},
        headers=live_admin_headers,
    ).json()["features"][0]
    with chromium_page(viewport=(1366, 900)) as (page, requests, dialogs):
        sign_in_page(
            page, live_server, "admin", DEMO_PASSWORD, next_path="/ogc/collections/grids/items"
        )
        page.wait_for_function(f"() => ({DRAWN})() === 100", timeout=20_000)
        assert page.locator("#sx-ogc-table tr").count() == 101  # a header and 100 grids
        assert "共 1312 个" in page.locator(".sx-ogc-facts").inner_text()
        page.screenshot(path=str(OUTPUT / "ogc-grids.png"))
        page.click("a[rel=next]")
        page.wait_for_url("**after=*")
        page.wait_for_function(f"() => ({DRAWN})() > 0", timeout=20_000)

        page.goto(f"{live_server}/ogc/collections/events/items/{event['id']}")
        page.wait_for_function(f"() => ({DRAWN})() === 1", timeout=20_000)
        table = page.locator("#sx-ogc-table").inner_text()
        assert event["properties"]["title"] in table and event["properties"]["status"] in table
        page.screenshot(path=str(OUTPUT / "ogc-event.png"))

        page.goto(f"{live_server}/ogc/collections?f=html")
        assert page.locator("text=open-events").count() >= 1
    hosts = {urlparse(url).hostname for url in requests if url.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts  # nothing from a CDN or any other host
    assert dialogs == []
