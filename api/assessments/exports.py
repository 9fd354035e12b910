"""An assessment as a workbook and as a printable report (plain data for map_ui's renderers)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api import clock
from api.assessments import service
from api.assessments.models import Assessment, AssessmentRow
from api.indicators.definitions import BY_KEY, INDICATORS
from api.indicators.maps import MAP_LEVELS, choropleth
from api.users.service import Actor
from map_ui.reports import Image, Link, ReportPage, Section, Table
from map_ui.workbooks import Column, SheetTable, WorkbookData, render_xlsx

LEVEL_NAMES = {"township": "乡镇", "village": "村社", "grid": "网格", "unit": "单位"}
STATE_NAMES = {"draft": "草稿", "published": "已发布"}


def _title(a: Assessment) -> str:
    return f"{a.scope_name}{LEVEL_NAMES[a.level]}考核（{a.period}）"


def _subtitle(a: Assessment) -> str:
    state = STATE_NAMES[a.state.value]
    when = clock.local(a.as_of)
    published = (
        f"，{a.published_by} 发布于 {clock.local(a.published_at):%Y-%m-%d %H:%M}"
        if a.published_at
        else ""
    )
    return f"方案：{a.scheme['name']}；数据截至 {when:%Y-%m-%d %H:%M}；{state}{published}"


def _movement(r: AssessmentRow) -> str:
    if r.previous_rank is None:
        return "新"
    change = r.previous_rank - r.rank
    return "—" if change == 0 else (f"↑{change}" if change > 0 else f"↓{-change}")


def workbook(*, session: Session, actor: Actor, assessment_id: int) -> tuple[bytes, str]:
    """(xlsx bytes, file name): results, every indicator, the red and black lists, a chart."""
    a = service.get(session=session, actor=actor, assessment_id=assessment_id)
    rows = service.rows_of(session, a)
    weights = a.scheme["levels"][a.level]["weights"]
    results = SheetTable(
        name="考核结果",
        title=_title(a),
        subtitle=_subtitle(a),
        columns=(
            Column("rank", "名次", "", 6),
            Column("name", LEVEL_NAMES[a.level], "", 20),
            Column("code", "编码", "", 18),
            Column("score", "总分", "分", 9),
            Column("grade", "等级", "", 6),
            Column("movement", "较上期", "", 8),
            *(
                Column(f"{k}_v", f"{BY_KEY[k].name}（权重{w}%）", BY_KEY[k].unit, 12)
                for k, w in weights.items()
            ),
            *(Column(f"{k}_p", f"{BY_KEY[k].name}得分", "分", 10) for k in weights),
            Column("adjust", "加减分", "分", 9),
        ),
        rows=tuple(
            (
                r.rank,
                r.subject_name,
                r.subject_code,
                r.score,
                r.grade,
                _movement(r),
                *(r.figures[k]["value"] for k in weights),
                *(r.parts[k] for k in weights),
                round(sum(x["points"] for x in r.parts.get("adjustments", [])), 2),
            )
            for r in rows
        ),
        freeze_columns=2,
        chart=("score", "考核总分"),
    )
    details = SheetTable(
        name="指标明细",
        title=f"{_title(a)} 指标明细",
        subtitle=_subtitle(a),
        columns=(
            Column("code", "编码", "", 18),
            Column("name", LEVEL_NAMES[a.level], "", 20),
            *(Column(i.key, i.name, i.unit, 11) for i in INDICATORS),
        ),
        rows=tuple(
            (r.subject_code, r.subject_name, *(r.figures[i.key]["value"] for i in INDICATORS))
            for r in sorted(rows, key=lambda r: r.subject_code)
        ),
    )
    lists = service.red_black(a, rows)
    board = SheetTable(
        name="红黑榜",
        title=f"{_title(a)} 红黑榜",
        subtitle=_subtitle(a),
        columns=(
            Column("list", "榜单", "", 8),
            Column("name", LEVEL_NAMES[a.level], "", 20),
            Column("rank", "名次", "", 6),
            Column("score", "总分", "分", 9),
            Column("grade", "等级", "", 6),
            Column("movement", "较上期", "", 8),
        ),
        rows=tuple(
            (label, r.subject_name, r.rank, r.score, r.grade, _movement(r))
            for label, group in (("红榜", lists.red), ("黑榜", lists.black))
            for r in group
        ),
        freeze_columns=1,
    )
    data = WorkbookData(
        sheets=(results, details, board),
        properties={"title": _title(a), "creator": "舒心 Shuxin"},
    )
    return render_xlsx(data), f"assessment-{a.id}-{a.period}"


def report(*, session: Session, actor: Actor, assessment_id: int) -> ReportPage:
    """The printable report: figures, the map coloured by score, the ranking, 红黑榜."""
    a = service.get(session=session, actor=actor, assessment_id=assessment_id)
    rows = service.rows_of(session, a)
    weights = a.scheme["levels"][a.level]["weights"]
    lists = service.red_black(a, rows)
    images = ()
    if a.level in MAP_LEVELS:
        png = choropleth(
            session,
            {r.subject_code: r.score for r in rows},
            level=a.level,
            township=a.township_code,
            title=f"{_title(a)} 总分",
            unit="分",
            subtitle=_subtitle(a),
        )
        images = (Image("考核总分分布图", png, url=f"/api/v1/assessments/{a.id}/map.png"),)
    grades: dict[str, int] = {}
    for r in rows:
        grades[r.grade] = grades.get(r.grade, 0) + 1
    red, black = {r.subject_code for r in lists.red}, {r.subject_code for r in lists.black}
    base = f"/api/v1/assessments/{a.id}/events"
    ranking = Table(
        "考核排名",
        (
            "名次",
            LEVEL_NAMES[a.level],
            "总分",
            "等级",
            "较上期",
            *(BY_KEY[k].name for k in weights),
        ),
        tuple(
            (
                r.rank,
                r.subject_name,
                r.score,
                r.grade,
                _movement(r),
                *(
                    Link(
                        _value(r.figures[k]["value"], BY_KEY[k].unit),
                        f"{base}?subject={r.subject_code}&set={BY_KEY[k].numerator}",
                    )
                    if BY_KEY[k].kind in ("count", "ratio")
                    else _value(r.figures[k]["value"], BY_KEY[k].unit)
                    for k in weights
                ),
            )
            for r in rows
        ),
        tuple(
            "red" if r.subject_code in red else "black" if r.subject_code in black else ""
            for r in rows
        ),
    )
    board = Table(
        "红黑榜",
        ("榜单", LEVEL_NAMES[a.level], "名次", "总分", "等级", "较上期"),
        tuple(
            (label, r.subject_name, r.rank, r.score, r.grade, _movement(r))
            for label, group in (("红榜", lists.red), ("黑榜", lists.black))
            for r in group
        ),
        tuple("red" for _ in lists.red) + tuple("black" for _ in lists.black),
    )
    adjustments = Table(
        "加减分",
        ("对象", "项目", "数值", "分"),
        tuple(
            (r.subject_name, x["name"], x["value"], x["points"])
            for r in rows
            for x in r.parts.get("adjustments", [])
        ),
    )
    weights_text = "，".join(f"{BY_KEY[k].name} {w}%" for k, w in weights.items())
    return ReportPage(
        title=_title(a),
        subtitle=_subtitle(a),
        sections=(
            Section(
                "概况",
                facts=(
                    ("考核对象", str(len(rows))),
                    *((f"{g}等", str(n)) for g, n in sorted(grades.items())),
                    ("最高分", f"{rows[0].score:g}" if rows else "—"),
                    ("最低分", f"{rows[-1].score:g}" if rows else "—"),
                ),
                paragraphs=(f"权重：{weights_text}。点击指标数值可查看其所依据的事件。",),
                images=images,
            ),
            Section("排名", tables=(ranking,)),
            Section("红黑榜", tables=(board, adjustments)),
        ),
        links=(
            Link("考核首页", "/assess"),
            Link("下载 Excel", f"/api/v1/assessments/{a.id}/export.xlsx"),
            Link("下载 PDF", f"/api/v1/assessments/{a.id}/report?format=pdf"),
        ),
    )


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit == "%" else text


def score_map(*, session: Session, actor: Actor, assessment_id: int) -> bytes:
    """The PNG map coloured by score."""
    a = service.get(session=session, actor=actor, assessment_id=assessment_id)
    rows = service.rows_of(session, a)
    return choropleth(
        session,
        {r.subject_code: r.score for r in rows},
        level=a.level if a.level in MAP_LEVELS else "township",
        township=a.township_code,
        title=f"{_title(a)} 总分",
        unit="分",
        subtitle=_subtitle(a),
    )
