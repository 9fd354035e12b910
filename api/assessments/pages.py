"""The 考核 page (/assess) and the events behind a figure (/assess/events), as plain pages.

For the signed-in user's scope (a township sees its villages and grids, the county its
townships): a period's indicators, the map coloured by any indicator at any level (drawn on the
server), the indicators per area with every count linked to its events, the latest published
assessment's ranking and 红黑榜, and the reviews there are to read.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from api.assessments import service
from api.assessments.models import AssessmentState
from api.events import policy
from api.indicators.definitions import BY_KEY, INDICATORS
from api.indicators.periods import Period, parse_period
from api.indicators.service import GROUP_NAMES, Scope, compute, events_behind
from api.reviews.service import emergency_periods
from api.users.service import Actor
from map_ui.reports import Controls, Image, Link, ReportPage, Section, Select, Table

TILES = ("reported", "accepted", "due", "close_rate", "close_on_time_rate", "handle_on_time_rate",
         "rework_rate", "satisfaction_rate", "overdue", "supervision")  # fmt: skip
COLUMNS = ("reported", "due", "close_rate", "handle_on_time_rate", "rework_rate", "return_rate",
           "extension_rate", "satisfaction_rate", "overdue", "supervision")  # fmt: skip
MAP_INDICATORS = tuple(i for i in INDICATORS if i.kind != "median")


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit == "%" else text


def assess_page(
    *,
    session: Session,
    actor: Actor,
    period: Period,
    level: str | None,
    indicator: str,
    now: datetime,
) -> ReportPage:
    """The 考核 page of the actor's scope."""
    township = policy.assessment_township(actor)
    levels = ("village", "grid") if township else ("township", "village", "grid")
    level = level if level in levels else levels[0]
    if indicator not in BY_KEY:
        indicator = "close_rate"
    table = compute(
        session=session,
        actor=actor,
        period=period,
        by=level,
        scope=Scope(township=township),
        now=now,
    )
    total = table.total.figures
    query = {"period": period.label, "by": level}
    if township:
        query["township"] = township

    def link(group_code: str, key: str) -> Link | str:
        i = BY_KEY[key]
        shown = _value(table.by_code(group_code).figures[key].value, i.unit)
        if i.kind not in ("count", "ratio"):
            return shown
        params = {**query, "set": i.numerator, "code": group_code}
        return Link(shown, f"/assess/events?{urlencode(params)}")

    per_area = Table(
        f"按{GROUP_NAMES[level]}（点击数值查看事件）",
        (GROUP_NAMES[level], *(BY_KEY[k].name for k in COLUMNS)),
        tuple((g.name, *(link(g.code, k) for k in COLUMNS)) for g in table.groups),
    )
    chosen = BY_KEY[indicator]
    map_query = urlencode({**query, "indicator": indicator})
    image = Image(
        f"{chosen.name}（{GROUP_NAMES[level]}）",
        b"",
        url=f"/api/v1/indicators/map.png?{map_query}",
        alt=f"{chosen.name}分布图",
    )
    sections = [
        Section(
            f"{period.label} 指标",
            facts=tuple((BY_KEY[k].name, _value(total[k].value, BY_KEY[k].unit)) for k in TILES),
            images=(image,),
        ),
        Section("各区域指标", tables=(per_area,)),
    ]
    sections += _rankings(session, actor, township)
    sections.append(_reviews(session, actor, period, township))
    return ReportPage(
        title="考核评价",
        subtitle=f"统计期 {period.label}，截至 {table.as_of:%Y-%m-%d %H:%M}；"
        f"范围：{service.scope_name_of(session, township)}",
        sections=tuple(sections),
        links=(
            Link("指挥大屏", "/screen"),
            Link("下载指标 Excel", f"/api/v1/indicators?{urlencode(query)}&format=xlsx"),
            Link("下载指标 CSV", f"/api/v1/indicators?{urlencode(query)}&format=csv"),
            Link("月度复盘", f"/review/month?period={period.label}"),
        ),
        controls=Controls(
            "/assess",
            (
                Select("level", "层级", tuple((x, GROUP_NAMES[x]) for x in levels), level),
                Select(
                    "indicator",
                    "地图指标",
                    tuple((i.key, i.name) for i in MAP_INDICATORS),
                    indicator,
                ),
            ),
            texts=(("period", "统计期", period.label),),
        ),
    )


def _rankings(session: Session, actor: Actor, township: str | None) -> list[Section]:
    assessments = service.list_assessments(session=session, actor=actor)
    published = [a for a in assessments if a.state is AssessmentState.published]
    sections = []
    if published:
        latest = published[0]
        rows = service.rows_of(session, latest)
        lists = service.red_black(latest, rows)
        red, black = {r.id for r in lists.red}, {r.id for r in lists.black}

        def move(r) -> str:
            if r.previous_rank is None:
                return "新"
            change = r.previous_rank - r.rank
            return "—" if change == 0 else (f"↑{change}" if change > 0 else f"↓{-change}")

        sections.append(
            Section(
                f"最新考核排名：{latest.period}（{latest.scheme['name']}）",
                tables=(
                    Table(
                        "排名与红黑榜",
                        ("名次", "对象", "总分", "等级", "较上期"),
                        tuple((r.rank, r.subject_name, r.score, r.grade, move(r)) for r in rows),
                        tuple(
                            "red" if r.id in red else "black" if r.id in black else "" for r in rows
                        ),
                    ),
                ),
            )
        )
    sections.append(
        Section(
            "考核记录",
            tables=(
                Table(
                    "",
                    ("统计期", "层级", "状态", "报告"),
                    tuple(
                        (
                            a.period,
                            GROUP_NAMES.get(a.level, a.level),
                            "已发布" if a.state is AssessmentState.published else "草稿",
                            Link("查看", f"/api/v1/assessments/{a.id}/report"),
                        )
                        for a in assessments[:24]
                    ),
                ),
            ),
        )
    )
    return sections


def _reviews(session: Session, actor: Actor, period: Period, township: str | None) -> Section:
    periods = emergency_periods(session, actor)
    return Section(
        "工作复盘",
        tables=(
            Table(
                "战时复盘",
                ("乡镇", "等级", "开始", "结束", "原因", "复盘"),
                tuple(
                    (
                        change.township_code,
                        change.level or "—",
                        f"{change.at:%Y-%m-%d %H:%M}",
                        f"{end:%Y-%m-%d %H:%M}" if end else "仍在战时",
                        change.reason,
                        Link("查看", f"/review/emergency/{change.id}"),
                    )
                    for change, end in periods[:20]
                ),
            ),
        ),
        paragraphs=(f"月度复盘：/review/month?period={period.label}",),
    )


def events_page(
    *,
    session: Session,
    actor: Actor,
    period: Period,
    set_key: str,
    by: str,
    code: str,
    now: datetime,
) -> ReportPage:
    """The events behind one figure of the 考核 page."""
    count, items = events_behind(
        session=session,
        actor=actor,
        period=period,
        set_key=set_key,
        by=by,
        code=code,
        scope=Scope(),
        now=now,
        limit=500,
    )
    return ReportPage(
        title=f"指标所依据的事件：{set_key}",
        subtitle=f"统计期 {period.label}；{GROUP_NAMES.get(by, by)} {code or '全部'}；"
        f"共 {count} 件",
        sections=(
            Section(
                "事件",
                tables=(
                    Table(
                        "",
                        ("编号", "标题", "分类", "网格", "状态", "上报"),
                        tuple(
                            (
                                Link(f"#{e.id}", f"/review/event/{e.id}"),
                                e.title,
                                e.category.name,
                                e.routing.grid_name or e.routing.grid_code or "—",
                                e.status.value,
                                f"{e.created_at:%Y-%m-%d %H:%M}",
                            )
                            for e in items
                        ),
                    ),
                ),
            ),
        ),
        links=(Link("返回考核", f"/assess?period={period.label}"),),
    )


def period_or_current(text: str | None, now: datetime) -> Period:
    from api.indicators.periods import current_month

    return parse_period(text) if text else current_month(now)
