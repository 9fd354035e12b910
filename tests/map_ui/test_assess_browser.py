"""The 考核 page and a 复盘 page in real headless Chromium, on the demo data, under a strict
Content-Security-Policy (scripts from the site only, no inline script): what a commander sees,
screenshots in test-output/ (assess.png, review-event.png)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import httpx

from api.demo.people import DEMO_PASSWORD
from tests.browser import chromium_page, sign_in_page

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'"


def _strict(page, violations: list[str]) -> None:
    """The 考核 and 复盘 pages get the CSP header; the console's refusals are collected."""

    def add_csp(route):
        response = route.fetch(max_redirects=0)
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": CSP}
        )

    page.route(lambda url: urlparse(url).path.startswith(("/assess", "/review")), add_csp)
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )


def test_the_assess_page_and_an_event_review(live_server):
    OUTPUT.mkdir(exist_ok=True)
    token = httpx.post(
        f"{live_server}/api/v1/auth/token", data={"username": "zhs", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    closed = httpx.get(
        f"{live_server}/api/v1/events",
        params={"status": "closed", "limit": 1},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["items"][0]
    # Whatever other tests committed is read into the indicators' fact rows on the first
    # request; done here, with time to spare, so the page's own request is an ordinary one.
    warm = httpx.get(
        f"{live_server}/api/v1/indicators",
        params={"period": "2026", "by": "township"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    assert warm.status_code == 200, warm.text
    with chromium_page((1366, 900)) as (page, requests, _dialogs):
        page.set_default_timeout(90_000)
        violations: list[str] = []
        _strict(page, violations)
        sign_in_page(page, live_server, "zhs", DEMO_PASSWORD, "/screen")
        page.click("#sx-assess-link")  # the screen links to the 考核 page
        page.wait_for_url("**/assess")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").count() == 1, page.content()[:3000]
        assert page.locator("h1").inner_text() == "考核评价"
        assert page.locator(".sx-fact").count() >= 10
        loaded = page.eval_on_selector(".sx-report-figure img", "img => img.naturalWidth")
        assert loaded > 300  # the choropleth drawn on the server arrived
        page.select_option("select[name=level]", "grid")
        page.select_option("select[name=indicator]", "rework_rate")
        page.click("form.sx-assess-controls button")
        page.wait_for_load_state("networkidle")
        assert "level=grid" in page.url and "indicator=rework_rate" in page.url
        assert page.eval_on_selector(".sx-report-figure img", "img => img.naturalWidth") > 300
        page.screenshot(path=str(OUTPUT / "assess.png"), full_page=False)

        page.goto(f"{live_server}/review/event/{closed['id']}")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text().startswith(f"事件复盘：#{closed['id']}")
        assert page.locator("table.sx-report-table").count() >= 3
        page.fill("textarea[name=conclusions]", "按期办结，流程规范")
        page.fill("textarea[name=lessons]", "继续保持")
        page.click("#sx-note-form button")  # the static review.js saves it, the page reloads
        page.wait_for_selector(".sx-note")
        assert "按期办结，流程规范" in page.locator(".sx-note").first.inner_text()
        page.wait_for_load_state("networkidle")
        page.wait_for_function("document.querySelector('.sx-report-figure img').complete")
        assert page.eval_on_selector(".sx-report-figure img", "img => img.naturalWidth") > 300
        page.screenshot(path=str(OUTPUT / "review-event.png"), full_page=True)
    assert violations == []
    assert all(url.startswith(live_server) for url in requests)
