"""复盘 pages and the 考核 page on the 320 events of tests/api/indicator_world.py: what a reviewer
reads on each (an event's stages against their limits, an emergency's events and decisions, a
month's worst events and repeat places), the notes they leave, who may leave them, the PDFs."""

from __future__ import annotations

import re
import subprocess

from sqlalchemy import select

from api.mode.models import ModeChange
from tests.api.indicator_world import GRID_1
from tests.conftest import TEST_PASSWORD


def page_client(w, app_client_on, login: str = "in-zhs"):
    """A client signed in through the login form (the pages read the cookie)."""
    client = app_client_on(w)
    answer = client.post(
        "/login",
        data={"username": login, "password": TEST_PASSWORD, "next": "/assess"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_event_review_shows_stages_against_limits_and_supervision(w, app_client_on):
    client = page_client(w, app_client_on)
    late = w.batches["C"][0]  # supervised, handled a working day late
    page = client.get(f"/review/event/{late}")
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert f"事件复盘：#{late}" in words
    # 处置: assigned 10-13 09:30, handled 10-14 10:00 = 8.0 working hours, due 10-13 15:00: late.
    assert (
        "处置 2025-10-13 09:30 2025-10-14 10:00 8.0 4 working hours，至 2025-10-13 15:00 否"
        in words
    )
    assert "督办单 red 2025-10-14 09:30 2025-10-14 09:00 请说明超期原因" in words
    assert f"#{w.batches['C'][1]}" in words  # the events reported at the same spot, nearby
    assert 'src="/review/event/' in page.text and "<script>" not in page.text
    picture = client.get(f"/review/event/{late}/map.png")
    assert picture.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_emergency_review(w, app_client_on, tmp_path):
    client = page_client(w, app_client_on)
    declared = w.session.scalar(select(ModeChange.id).where(ModeChange.mode == "emergency"))
    page = client.get(f"/review/emergency/{declared}")
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert "2025-10-21 08:00 至 2025-10-22 08:00" in words
    assert "20 事件" in words  # G and H, reported 10-21 09:00
    assert "10-21 09:00 20" in words  # all in that hour
    assert "县级已办结" in words or "请网格处置" in words  # the county's decisions, recorded
    assert "测试村第1网格" in words  # H was handled by grid 001's unit
    pdf = client.get(f"/review/emergency/{declared}", params={"format": "pdf"})
    assert pdf.content[:5] == b"%PDF-"
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    subprocess.run(["pdftoppm", "-png", "-r", "40", tmp_path / "r.pdf", tmp_path / "p"], check=True)
    assert len(list(tmp_path.glob("p-*.png"))) >= 1


def test_a_month_review(w, app_client_on):
    client = page_client(w, app_client_on)
    page = client.get("/review/month", params={"period": "2025-10"})
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert "月度复盘：测试镇 2025-10" in words
    # The worst: batch I, overdue since 10-27 15:30 and open at the month's end (104.5 hours).
    assert f"#{w.batches['I'][0]}" in words and "104.5" in words
    assert "测试村第1网格 暴露垃圾" in words  # repeat places


def test_notes_are_stored_with_who_wrote_them(w, app_client_on):
    client = page_client(w, app_client_on)
    event = w.batches["C"][0]
    note = {
        "kind": "event",
        "subject": str(event),
        "conclusions": "处置超时一个工作日",
        "lessons": "周五下午交办的件要跟踪",
    }
    answer = client.post("/api/v1/reviews/notes", json=note, headers={"X-Requested-With": "fetch"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["written_by"] == "in-zhs"
    words = text_of(client.get(f"/review/event/{event}").text)
    assert "处置超时一个工作日" in words and "in-zhs" in words
    viewer = page_client(w, app_client_on, "in-viewer")
    refused = viewer.post("/api/v1/reviews/notes", json=note, headers={"X-Requested-With": "x"})
    assert refused.status_code == 403
    assert 'id="sx-note-form"' not in viewer.get(f"/review/event/{event}").text
    other = page_client(w, app_client_on, "in-other")
    assert other.get(f"/review/event/{event}").status_code == 404


def test_the_assess_page_and_its_map(w, app_client_on):
    client = page_client(w, app_client_on)
    page = client.get("/assess", params={"period": "2025-10", "level": "grid"})
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert "94.92% 结案率" in words
    assert "<script" not in page.text
    link = re.search(r'href="(/assess/events\?[^"]*set=reworked[^"]*)"', page.text)
    assert link
    events = client.get(link.group(1).replace("&amp;", "&"))
    assert events.status_code == 200
    map_url = re.search(r'src="(/api/v1/indicators/map.png\?[^"]+)"', page.text).group(1)
    picture = client.get(map_url.replace("&amp;", "&"))
    assert picture.status_code == 200 and picture.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = client.get(
        "/api/v1/indicators/map.png",
        params={"period": "2025-10", "by": "grid", "indicator": "rework_rate", "format": "svg"},
    )
    assert svg.status_code == 200 and b"<svg" in svg.content[:400]
    assert GRID_1  # the grids are drawn from the active set


def test_every_new_endpoint_needs_sign_in_and_pages_send_to_login(app_client):
    calls = [
        ("GET", "/api/v1/indicators?period=2025-10"),
        ("GET", "/api/v1/indicators/definitions"),
        ("GET", "/api/v1/indicators/events?period=2025-10&set=handled"),
        ("GET", "/api/v1/indicators/map.png?period=2025-10&indicator=close_rate"),
        ("GET", "/api/v1/assessments"),
        ("POST", "/api/v1/assessments"),
        ("GET", "/api/v1/assessments/schemes"),
        ("GET", "/api/v1/assessments/1"),
        ("POST", "/api/v1/assessments/1/publish"),
        ("GET", "/api/v1/assessments/1/events?subject=x&set=handled"),
        ("GET", "/api/v1/assessments/1/export.xlsx"),
        ("GET", "/api/v1/assessments/1/report"),
        ("GET", "/api/v1/assessments/1/map.png"),
        ("POST", "/api/v1/reviews/notes"),
        ("GET", "/api/v1/reviews/emergencies"),
    ]
    wrong = {
        (method, path): answer.status_code
        for method, path in calls
        if (answer := app_client.request(method, path, json={})).status_code != 401
    }
    assert wrong == {}
    for page in ("/assess", "/assess/events?period=2025-10&set=handled", "/review/event/1",
                 "/review/event/1/map.png", "/review/emergency/1", "/review/month"):  # fmt: skip
        answer = app_client.get(page, follow_redirects=False)
        assert answer.status_code == 303, page
        assert answer.headers["location"].startswith("/login?next="), page
