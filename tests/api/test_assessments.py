"""Assessments on the 320 events of tests/api/indicator_world.py: scores worked out by hand with
the default scheme, publishing freezes them, the events behind a figure, who may do what, and
the exports (Excel opened with openpyxl, the PDF turned into PNG pages with pdftoppm)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.api.indicator_world import GRID_1, GRID_2, GRID_3, TOWNSHIP, _redraw, oct_

RUN = {"scheme": "default", "level": "grid", "township": TOWNSHIP, "period": "2025-10"}

# The default scheme (api/assessments/default_scheme.toml) for grids: 受理数 20% (relative to the
# best), 有效上报率 40% (full 95, zero 60), 结案率 20% (95/60), 返工率 20% (full 0, zero 30);
# −2 per unanswered order (at most −20), −0.5 per overdue event (at most −10). Points are
# computed from the figures as published (two decimals), each kept to two decimals.
#   grid 001: 受理 165 → 100; 有效上报 150/175 = 85.71% → (85.71 − 60) / 35 = 73.46;
#             结案 150/165 = 90.91% → 88.31; 返工 0 → 100;
#             (2000 + 2938.4 + 1766.2 + 2000) / 100 = 87.05; unanswered 20 → −20,
#             overdue 45 → −10: 57.05, D
#   grid 002: 受理 60/165 → 36.36; no grid-worker reports → 100; 结案 100%; 返工 25/60 = 41.67%
#             → 0: (727.2 + 4000 + 2000 + 0) / 100 = 67.27, C
#   grid 003: 受理 30/165 → 18.18; 100; 100; 100: (363.6 + 4000 + 2000 + 2000) / 100 = 83.64, B
EXPECTED = [(1, GRID_3, 83.64, "B"), (2, GRID_2, 67.27, "C"), (3, GRID_1, 57.05, "D")]


def run(client, w, login="in-zhs", **overrides):
    return client.post("/api/v1/assessments", json={**RUN, **overrides}, headers=w.headers(login))


def test_scores_ranks_and_grades_by_hand(w, app_client_on):
    client = app_client_on(w)
    answer = run(client, w)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["state"] == "draft"
    assert [(r["rank"], r["code"], r["score"], r["grade"]) for r in body["rows"]] == EXPECTED
    first = body["rows"][2]
    assert first["parts"]["valid_report_rate"] == 73.46
    assert [a["points"] for a in first["parts"]["adjustments"]] == [-20, -10]
    assert (body["red"][0], body["black"][0]) == (GRID_3, GRID_1)


def test_publishing_freezes_it(w, app_client_on):
    client = app_client_on(w)
    draft = run(client, w).json()
    # A draft is for those who may publish it: the township's viewer does not see it yet.
    assert (
        client.get(f"/api/v1/assessments/{draft['id']}", headers=w.headers("in-viewer")).status_code
        == 404
    )
    published = client.post(
        f"/api/v1/assessments/{draft['id']}/publish", headers=w.headers("in-zhs")
    )
    assert published.status_code == 200, published.text
    assert published.json()["state"] == "published"
    seen = client.get(f"/api/v1/assessments/{draft['id']}", headers=w.headers("in-viewer"))
    assert seen.status_code == 200

    # New events, actions, an edit and a boundary change afterwards change nothing.
    for e in w.batches["I"]:
        w.act("in-zhifa", e, "feedback", oct_(3, 10, month=11), text="已处置")
    for e in w.batches["K"]:
        w.act("in-zhs", e, "accept", oct_(31, 17, month=10))  # late in October, entered now
    w.report("in-wgy", GRID_2, oct_(30, 9))
    _redraw(w.session)
    again = client.get(f"/api/v1/assessments/{draft['id']}", headers=w.headers("in-zhs")).json()
    assert again["rows"] == published.json()["rows"]
    assert run(client, w).status_code == 409  # never computed again
    assert (
        client.post(f"/api/v1/assessments/{draft['id']}/publish", headers=w.headers("in-zhs"))
    ).status_code == 409


def test_the_events_behind_a_figure_are_stored(w, app_client_on):
    client = app_client_on(w)
    assessment = run(client, w).json()
    answer = client.get(
        f"/api/v1/assessments/{assessment['id']}/events",
        params={"subject": GRID_2, "set": "reworked"},
        headers=w.headers("in-zhs"),
    )
    assert answer.status_code == 200, answer.text
    assert sorted(e["id"] for e in answer.json()["items"]) == sorted(w.batches["D"])
    unanswered = client.get(
        f"/api/v1/assessments/{assessment['id']}/events",
        params={"subject": GRID_1, "set": "supervision_unanswered"},
        headers=w.headers("in-zhs"),
    ).json()
    assert unanswered["count"] == 5 + 15


def test_movement_since_the_last_period(w, app_client_on):
    client = app_client_on(w)
    september = run(client, w, period="2025-09").json()
    assert [(r["code"], r["rank"]) for r in september["rows"]] == [(GRID_3, 1)]
    client.post(f"/api/v1/assessments/{september['id']}/publish", headers=w.headers("in-zhs"))
    october = run(client, w).json()
    movement = {r["code"]: (r["previous_rank"], r["movement"]) for r in october["rows"]}
    assert movement == {GRID_3: (1, 0), GRID_2: (None, None), GRID_1: (None, None)}


def test_who_may_run_publish_and_see(w, app_client_on):
    client = app_client_on(w)
    assert run(client, w, login="in-viewer").status_code == 403
    assert run(client, w, login="in-handler-only").status_code == 403
    assert run(client, w, login="in-other").status_code == 403  # another township's commander
    assert run(client, w, login="in-zhs", level="township", township=None).status_code == 403
    county = run(client, w, login="in-county", level="township", township=None)
    assert county.status_code == 201, county.text
    assert [r["code"] for r in county.json()["rows"]] == [TOWNSHIP]
    own = run(client, w).json()
    listed = client.get("/api/v1/assessments", headers=w.headers("in-other")).json()
    assert own["id"] not in [a["id"] for a in listed]
    assert (
        client.get(f"/api/v1/assessments/{own['id']}", headers=w.headers("in-other")).status_code
        == 404
    )
    assert run(client, w, level="grid", township=None).status_code == 422


def test_the_workbook(w, app_client_on):
    client = app_client_on(w)
    assessment = run(client, w).json()
    answer = client.get(
        f"/api/v1/assessments/{assessment['id']}/export.xlsx", headers=w.headers("in-zhs")
    )
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["考核结果", "考核结果图表", "指标明细", "红黑榜"]
    sheet = book["考核结果"]
    assert sheet["A1"].value.endswith("网格考核（2025-10）")
    last_column = sheet.cell(row=3, column=sheet.max_column).column_letter
    assert f"A1:{last_column}1" in {str(r) for r in sheet.merged_cells.ranges}
    assert [c.value for c in sheet[3][:6]] == ["名次", "网格", "编码", "总分", "等级", "较上期"]
    assert sheet.freeze_panes == "C5"
    assert sheet.page_setup.orientation == "landscape"
    rows = [[c.value for c in row[:5]] for row in sheet.iter_rows(min_row=5)]
    api_rows = [
        [r["rank"], r["name"], r["code"], r["score"], r["grade"]] for r in assessment["rows"]
    ]
    assert rows == api_rows
    assert sheet["D5"].number_format == "0.00"
    details = book["指标明细"]
    header = [c.value for c in details[3]]
    close_rate = header.index("结案率") + 1
    by_code = {row[0].value: row[close_rate - 1].value for row in details.iter_rows(min_row=5)}
    assert by_code[GRID_1] == pytest.approx(90.91, abs=0.006)
    assert details.cell(row=5, column=close_rate).number_format == '0.00"%"'


def test_the_report_as_html_and_pdf(w, app_client_on, tmp_path):
    client = app_client_on(w)
    assessment = run(client, w).json()
    page = client.get(f"/api/v1/assessments/{assessment['id']}/report", headers=w.headers("in-zhs"))
    assert page.status_code == 200
    assert "<script>" not in page.text  # no inline script: the pages work under a strict CSP
    assert "红黑榜" in page.text and "测试村第3网格" in page.text
    assert f"/api/v1/assessments/{assessment['id']}/events?subject={GRID_2}&amp;set=" in page.text
    png = client.get(f"/api/v1/assessments/{assessment['id']}/map.png", headers=w.headers("in-zhs"))
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = client.get(
        f"/api/v1/assessments/{assessment['id']}/report",
        params={"format": "pdf"},
        headers=w.headers("in-zhs"),
    )
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    (tmp_path / "report.pdf").write_bytes(pdf.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(tmp_path / "report.pdf"), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages
    from PIL import Image

    with Image.open(pages[0]) as first:
        width, height = first.size
        colours = first.convert("L").getextrema()
    assert (width, height) == (414, 585)  # A4 at 50 dpi
    assert colours[0] < 100  # something printed, not a blank page
    output = Path(__file__).resolve().parents[2] / "test-output"  # for people to look at
    output.mkdir(exist_ok=True)
    (output / "assessment-map.png").write_bytes(png.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
         str(tmp_path / "report.pdf"), str(output / "assessment-report-page1")],
        check=True,
    )  # fmt: skip
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "report.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert "CJK" in fonts and " yes " in fonts  # the Chinese font is embedded
