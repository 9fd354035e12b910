"""The map page in real headless Chromium, against a running server on the demo data."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from api.demo.people import DEMO_PASSWORD
from tests.browser import chromium_page, sign_in_page

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"

# Finds the page's Leaflet map and counts what is drawn on it, by kind.
COUNT_LAYERS = """
() => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
  const map = window[key];
  const counts = {township: 0, village: 0, grid: 0, events: 0, eventIds: []};
  map.eachLayer(layer => {
    const f = layer.feature;
    if (!f || !f.properties) return;
    if (f.geometry && f.geometry.type === 'Point') {
      counts.events += 1; counts.eventIds.push(f.id);
    } else if (f.properties.level in counts) {
      counts[f.properties.level] += 1;
    }
  });
  return counts;
}
"""

OPEN_POPUP = """
(id) => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
  let opened = null;
  window[key].eachLayer(layer => {
    if (layer.feature && layer.feature.id === id) { layer.openPopup(); opened = layer; }
  });
  const popup = document.querySelector('.leaflet-popup-content');
  return popup ? popup.innerText : null;
}
"""


@pytest.fixture
def xss_event(live_server, live_admin_headers):
    """An event whose title and description are markup, posted through the API."""
    external_id = f"xss-{uuid.uuid4()}"
    answer = httpx.post(
        f"{live_server}/api/v1/events",
        headers=live_admin_headers,
        json={
            "title": "<img src=x onerror=alert(1)>",
            "description": "<script>alert(1)</script>",
            "category_code": "0102",
            "source": "citizen",
            "lon": 119.17,
            "lat": 29.03,
            "external_id": external_id,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_map_shows_boundaries_and_events_with_no_request_elsewhere(live_server, xss_event):
    with chromium_page(viewport=(1366, 768)) as (page, requests, dialogs):
        sign_in_page(page, live_server, "admin", DEMO_PASSWORD)
        page.wait_for_function(
            f"() => document.body.innerText.includes('{'事件状态'}')", timeout=15_000
        )
        page.wait_for_function(
            f"() => {{ const c = ({COUNT_LAYERS})(); return c.village > 0 && c.events > 0; }}",
            timeout=20_000,
        )
        page.wait_for_timeout(1000)
        counts = page.evaluate(COUNT_LAYERS)
        assert counts["township"] == 15
        assert counts["village"] == 288
        assert counts["grid"] == 0, "the grid layer starts switched off"
        assert counts["events"] >= 500
        assert xss_event["id"] in counts["eventIds"]

        text_shown = page.evaluate(OPEN_POPUP, xss_event["id"])
        assert "<img src=x onerror=alert(1)>" in text_shown
        assert "<script>alert(1)</script>" in text_shown
        page.wait_for_timeout(500)
        assert dialogs == [], "markup in an event ran as script"

        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "overview-1366x768.png"))

    server = urlparse(live_server).netloc
    elsewhere = [u for u in requests if urlparse(u).netloc not in (server, "")]
    assert elsewhere == [], f"the page asked other hosts: {elsewhere}"
    assert any("/api/v1/events" in u for u in requests)
    assert any("/api/v1/boundaries?level=village" in u for u in requests)
