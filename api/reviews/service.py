"""工作复盘: after-action reviews of an event, an emergency period and a month, as plain pages.

Each review gathers what happened from the same places the rest of Shuxin reads: the event
through the one lookup (`visible_event`) and the one mapper (`to_out`), its timeline, tasks and
supervision orders, the fact rows of the indicators, the mode changes (平战转换, api/mode). The
reviewer's conclusions and lessons are stored (`ReviewNote`, each save a new row, with who).
Pages render from the `ReportPage` these functions return (map_ui/reports.py), as HTML or PDF.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api import clock
from api.assessments.service import scope_name_of
from api.errors import InvalidInput, NotFound
from api.events import policy
from api.events.models import Event
from api.events.service import to_out
from api.events.transitions import timeline_labels
from api.events.visibility import visible_clause, visible_event
from api.events.workflow import timeline
from api.indicators import facts
from api.indicators.definitions import BY_KEY
from api.indicators.maps import area_shapes
from api.indicators.periods import Period, parse_period
from api.indicators.service import Scope, compute
from api.mode.models import Mode, ModeChange
from api.reviews.models import ReviewKind, ReviewNote
from api.supervision.models import Supervision
from api.units.models import Unit
from api.users.service import Actor
from api.worktime.service import calendar
from map_ui.choropleth import Area, Point, PointsMapData, render_points
from map_ui.reports import Image, Link, Note, NoteForm, ReportPage, Section, Table

NEARBY_M = 500
NEARBY_DAYS = 30
STATUS_COLOURS = {"closed": "#2e7d32", "rejected": "#9e9e9e", "handled": "#1f6fb2"}
MONTH_FIGURES = ("reported", "accepted", "due", "close_rate", "close_on_time_rate",
                 "handle_on_time_rate", "rework_rate", "return_rate", "extension_rate",
                 "satisfaction_rate", "overdue", "supervision", "supervision_unanswered",
                 "handle_hours_mean", "handle_hours_median")  # fmt: skip


def _t(value: datetime | None) -> str:
    return "—" if value is None else f"{clock.local(value):%Y-%m-%d %H:%M}"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _notes(session: Session, kind: ReviewKind, subject: str) -> tuple[Note, ...]:
    rows = session.scalars(
        select(ReviewNote)
        .where(ReviewNote.kind == kind, ReviewNote.subject == subject)
        .order_by(ReviewNote.written_at.desc(), ReviewNote.id.desc())
    )
    return tuple(Note(n.conclusions, n.lessons, n.written_by, _t(n.written_at)) for n in rows)


def _form(actor: Actor, township: str | None, kind: ReviewKind, subject: str) -> NoteForm | None:
    try:
        policy.require_publish(actor, township)
    except policy.Forbidden:
        return None
    return NoteForm("/api/v1/reviews/notes", kind.value, subject)


def _outlines(session: Session, township: str | None, level: str = "village") -> tuple[Area, ...]:
    return tuple(Area(c, n, g, None) for c, n, g in area_shapes(session, level, township))


# --- one event ----------------------------------------------------------------------------------


def event_review(*, session: Session, actor: Actor, event_id: int) -> ReportPage:
    """One event: its timeline with each stage against its limit, who did what, the supervision
    and warnings around it, its place on the map with the events nearby."""
    policy.assessment_township(actor)
    event = visible_event(session, actor, event_id)
    [out] = to_out(session, [event], actor)
    facts.refresh(session)
    fact = (
        session.execute(text("SELECT * FROM indicator_event WHERE event_id = :e"), {"e": event_id})
        .mappings()
        .first()
    )
    entries = timeline(session=session, event_id=event_id, actor=actor)
    labels = timeline_labels()
    cal = calendar()
    stages = []
    if fact is not None:
        lead = next((t for t in out.tasks if t.role == "lead"), None)
        ack = lead.acknowledged_at if lead else None
        due = out.handle_due or (lead.handle_due if lead else None)

        def wh(a, b):
            return cal.working_hours_between(a, b) if a and b else None

        assign_limit = None
        for e in entries:
            if e.action == "assign":
                assign_limit = e.details.get("limit")
        stages = [
            ("受理", fact["reported_at"], fact["accepted_at"], fact["wh_accept"], "—", None),
            ("交办", fact["accepted_at"], fact["assigned_at"], fact["wh_assign"], "—", None),
            (
                "签收",
                fact["assigned_at"],
                ack,
                wh(fact["assigned_at"], ack),
                _t(lead.acknowledge_due) if lead else "—",
                None
                if not (lead and ack and lead.acknowledge_due)
                else ack <= lead.acknowledge_due,
            ),
            (
                "处置",
                fact["assigned_at"],
                fact["handled_at"],
                fact["wh_handle"],
                f"{assign_limit or '—'}，至 {_t(due)}",
                None if fact["handled_at"] is None else not fact["handled_late"],
            ),
            ("核查", fact["handled_at"], fact["closed_at"], fact["wh_verify"], "—", None),
        ]
    stage_table = Table(
        "各环节用时（工作小时）与时限",
        ("环节", "开始", "完成", "用时", "时限", "按时"),
        tuple(
            (name, _t(a), _t(b), _hours(h), limit, "—" if ok is None else ("是" if ok else "否"))
            for name, a, b, h, limit, ok in stages
        ),
        tuple("late" if ok is False else "" for *_, ok in stages),
    )
    steps = Table(
        "办理过程（谁在何时做了什么）",
        ("#", "时间", "环节", "人员", "单位", "状态", "说明"),
        tuple(
            (
                e.seq,
                _t(e.at),
                labels.get(e.action, e.action),
                e.actor,
                e.unit_name or "—",
                e.to_status.value if hasattr(e.to_status, "value") else e.to_status,
                e.comment or "",
            )
            for e in entries
        ),
    )
    orders = session.scalars(
        select(Supervision).where(Supervision.event_id == event_id).order_by(Supervision.issued_at)
    ).all()
    supervision = Table(
        "督办与预警",
        ("发出", "类型", "等级", "回复时限", "回复", "内容"),
        tuple(
            (
                _t(o.issued_at),
                "督办单" if o.kind == "order" else "超时预警",
                o.level or "—",
                _t(o.reply_due),
                _t(o.answered_at) if o.answered_at else "未回复",
                o.message,
            )
            for o in orders
        ),
    )
    nearby = _nearby(session, actor, event)
    points = [Point(n.lon, n.lat, f"#{n.id}", STATUS_COLOURS.get(n.status.value, "#e08a00"), 14)
              for n in nearby if n.lon is not None]  # fmt: skip
    images = ()
    if out.lon is not None:
        points.append(Point(out.lon, out.lat, f"#{out.id}", "#c62828", 60))
        shapes = tuple(
            Area(c, n, g, None)
            for c, n, g in area_shapes(session, "grid", event.township_code)
            if c in {event.grid_code} | {n.routing.grid_code for n in nearby}
        )
        png = render_points(
            PointsMapData(
                f"事件 #{out.id} 及周边 {NEARBY_M} 米内 {NEARBY_DAYS} 天内的事件",
                shapes,
                tuple(points),
                legend=(("#c62828", "本事件"), ("#2e7d32", "已结案"), ("#e08a00", "办理中")),
            )
        )
        images = (Image("位置与周边事件", png, url=f"/review/event/{out.id}/map.png"),)
    near_table = Table(
        "周边事件",
        ("编号", "标题", "分类", "状态", "上报"),
        tuple(
            (
                Link(f"#{n.id}", f"/review/event/{n.id}"),
                n.title,
                n.category.name,
                n.status.value,
                _t(n.created_at),
            )
            for n in nearby
        ),  # fmt: skip
    )
    area = " / ".join(
        x for x in (out.routing.township_name, out.routing.village_name, out.routing.grid_name) if x
    )
    return ReportPage(
        title=f"事件复盘：#{out.id} {out.title}",
        subtitle=f"{out.category.name} · {area} · 上报 {_t(out.created_at)} · "
        f"状态 {out.status.value}",
        sections=(
            Section(
                "概况",
                facts=(
                    ("状态", out.status.value),
                    ("返工", str(out.counts.rework)),
                    ("退回", str(out.counts.returned)),
                    ("延期", str(out.counts.extended)),
                    ("督办单", str(sum(1 for o in orders if o.kind == "order"))),
                    ("满意度", out.satisfaction.value if out.satisfaction else "—"),
                ),
                paragraphs=(out.description,) if out.description else (),
                images=images,
            ),
            Section("时限", tables=(stage_table,)),
            Section("办理过程", tables=(steps, supervision)),
            Section("周边", tables=(near_table,)),
        ),
        notes=_notes(session, ReviewKind.event, str(event_id)),
        form=_form(actor, event.township_code, ReviewKind.event, str(event_id)),
        links=(
            Link("指挥大屏", "/screen"),
            Link("考核", "/assess"),
            Link("下载 PDF", f"/review/event/{event_id}?format=pdf"),
        ),
    )


def _nearby(session: Session, actor: Actor, event: Event) -> list:
    """Events within NEARBY_M metres and NEARBY_DAYS days of it that the actor may see (the
    50 closest in time)."""
    if event.location is None:
        return []
    window = timedelta(days=NEARBY_DAYS)
    found = session.scalars(
        select(Event)
        .where(
            Event.id != event.id,
            visible_clause(actor),
            Event.created_at.between(event.created_at - window, event.created_at + window),
            text(
                "ST_DWithin(CAST(event.location AS geography), "
                "(SELECT CAST(location AS geography) FROM event WHERE id = :me), :m)"
            ).bindparams(me=event.id, m=NEARBY_M),
        )
        .order_by(
            text("abs(extract(epoch FROM event.created_at - CAST(:at AS timestamptz)))").bindparams(
                at=event.created_at
            )
        )
        .limit(50)
    ).all()
    return to_out(session, list(found), actor, with_tasks=False)


def event_map(*, session: Session, actor: Actor, event_id: int) -> bytes:
    page = event_review(session=session, actor=actor, event_id=event_id)
    return page.sections[0].images[0].png if page.sections[0].images else b""


# --- an emergency period ------------------------------------------------------------------------


def emergency_periods(session: Session, actor: Actor) -> list[tuple[ModeChange, datetime | None]]:
    """Every declared emergency the actor may see, with when it ended (None: still on)."""
    own = policy.assessment_township(actor)
    query = select(ModeChange).order_by(ModeChange.township_code, ModeChange.at, ModeChange.id)
    if own is not None:
        query = query.where(ModeChange.township_code == own)
    changes = session.scalars(query).all()
    out = []
    for i, change in enumerate(changes):
        if change.mode != Mode.emergency:
            continue
        if (
            i
            and changes[i - 1].township_code == change.township_code
            and changes[i - 1].mode == Mode.emergency
        ):
            continue  # a change of level within the same emergency
        end = next(
            (c.at for c in changes[i + 1 :]
             if c.township_code == change.township_code and c.mode == Mode.peacetime),
            None,
        )  # fmt: skip
        out.append((change, end))
    return sorted(out, key=lambda p: p[0].at, reverse=True)


def emergency_review(
    *, session: Session, actor: Actor, change_id: int, now: datetime
) -> ReportPage:
    """An emergency period, from its declaration to its end: events and warnings over time,
    response times against the emergency limits, units involved, the map, decisions recorded."""
    found = {c.id: (c, end) for c, end in emergency_periods(session, actor)}
    if change_id not in found:
        raise NotFound(
            f"there is no emergency declaration {change_id} you can see", field="change_id"
        )
    change, end = found[change_id]
    until = end or now
    township, villages = change.township_code, list(change.village_codes or [])
    facts.refresh(session)
    params = {"t": township, "start": change.at, "end": until, "villages": villages}
    in_scope = "f.township_code = :t AND f.reported_at >= :start AND f.reported_at < :end" + (
        " AND f.village_code = ANY(:villages)" if villages else ""
    )
    rows = session.execute(
        text(
            f"""
            SELECT f.event_id, f.reported_at, f.accepted_at, f.handled_at, f.closed_at,
                   f.overdue_at, f.lead_unit_id, c.name, c.urgent_handle_limit, c.handle_limit
            FROM indicator_event f JOIN category c ON c.code = f.category_code
            WHERE {in_scope} ORDER BY f.reported_at
            """
        ),
        params,
    ).all()
    visible = set(
        session.scalars(
            select(Event.id).where(Event.id.in_([r[0] for r in rows]), visible_clause(actor))
        )
    )
    rows = [r for r in rows if r[0] in visible]
    events = {e.id: e for e in to_out(session, list(session.scalars(
        select(Event).where(Event.id.in_(list(visible))))), actor, with_tasks=True)}  # fmt: skip
    by_hour: dict[str, int] = {}
    for r in rows:
        key = f"{clock.local(r[1]):%m-%d %H}:00"
        by_hour[key] = by_hour.get(key, 0) + 1
    warnings = session.execute(
        select(Supervision.kind, Supervision.level, Supervision.issued_at, Supervision.event_id)
        .where(
            Supervision.event_id.in_(list(visible)),
            Supervision.issued_at >= change.at,
            Supervision.issued_at < until,
        )
        .order_by(Supervision.issued_at)
    ).all()
    responses = []
    late = 0
    for r in rows:
        event_id, reported, accepted, handled, closed, overdue_at, _, name, urgent, normal = r
        limit = urgent or normal or "—"
        response_h = (accepted - reported).total_seconds() / 3600 if accepted else None
        handle_h = (handled - reported).total_seconds() / 3600 if handled else None
        on_time = overdue_at is None or (handled is not None and handled <= overdue_at)
        late += 0 if on_time else 1
        responses.append(
            (Link(f"#{event_id}", f"/review/event/{event_id}"), name, _t(reported),
             _hours(response_h), _hours(handle_h), limit, "是" if on_time else "否")
        )  # fmt: skip
    units: dict[str, int] = {}
    for e in events.values():
        for task in e.tasks:
            units[task.unit_name] = units.get(task.unit_name, 0) + 1
    decisions = (
        session.execute(
            select(ModeChange)
            .where(
                ModeChange.township_code == township,
                ModeChange.at >= change.at,
                ModeChange.at <= until,
            )
            .order_by(ModeChange.at)
        )
        .scalars()
        .all()
    )
    labels = timeline_labels()
    commands = session.execute(
        text(
            """
            SELECT t.at, t.action, t.actor_name, t.comment, t.event_id FROM event_timeline t
            WHERE t.event_id = ANY(:ids) AND t.at >= :start AND t.at < :end
              AND t.actor_role IN ('commander', 'county', 'admin') AND t.comment IS NOT NULL
            ORDER BY t.at LIMIT 200
            """
        ),
        {"ids": list(visible), "start": change.at, "end": until},
    ).all()
    points = tuple(
        Point(e.lon, e.lat, "", STATUS_COLOURS.get(e.status.value, "#e08a00"), 16)
        for e in events.values()
        if e.lon is not None
    )
    png = render_points(
        PointsMapData(
            f"战时期间事件分布（{_t(change.at)} 至 {_t(end) if end else '今'}）",
            _outlines(session, township),
            points,
            legend=(("#2e7d32", "已结案"), ("#e08a00", "办理中"), ("#9e9e9e", "不予受理")),
        )
    )
    scope = "、".join(villages) if villages else "全镇"
    return ReportPage(
        title=f"战时复盘：{scope_name_of(session, township)} {change.level or ''}级响应",
        subtitle=f"{_t(change.at)} 至 {_t(end) if end else '仍在战时'} · 范围 {scope} · "
        f"原因：{change.reason}",
        sections=(
            Section(
                "概况",
                facts=(
                    ("事件", str(len(rows))),
                    ("已处置", str(sum(1 for r in rows if r[3]))),
                    ("已结案", str(sum(1 for r in rows if r[4]))),
                    ("超时", str(late)),
                    ("预警与督办", str(len(warnings))),
                    ("参与单位", str(len(units))),
                ),
                images=(Image("事件分布", png, url=f"/review/emergency/{change_id}/map.png"),),
            ),
            Section(
                "事件与预警随时间",
                tables=(
                    Table("每小时上报事件", ("时段", "事件数"), tuple(by_hour.items())),
                    Table(
                        "预警与督办",
                        ("时间", "类型", "等级", "事件"),
                        tuple(
                            (
                                _t(at),
                                "督办单" if kind == "order" else "超时预警",
                                level or "—",
                                Link(f"#{eid}", f"/review/event/{eid}"),
                            )
                            for kind, level, at, eid in warnings
                        ),  # fmt: skip
                    ),
                ),
            ),
            Section(
                "响应时间（自然小时）与时限",
                tables=(
                    Table(
                        "各事件",
                        ("事件", "分类", "上报", "受理用时", "处置用时", "时限", "按时"),
                        tuple(responses),
                        tuple("" if r[-1] == "是" else "late" for r in responses),
                    ),
                ),
            ),
            Section(
                "参与单位与决策",
                tables=(
                    Table(
                        "参与单位",
                        ("单位", "任务数"),
                        tuple(sorted(units.items(), key=lambda x: -x[1])),
                    ),
                    Table(
                        "平战转换记录",
                        ("时间", "模式", "等级", "原因"),
                        tuple(
                            (
                                _t(d.at),
                                "战时" if d.mode == Mode.emergency else "平时",
                                d.level or "—",
                                d.reason,
                            )
                            for d in decisions
                        ),  # fmt: skip
                    ),
                    Table(
                        "指挥决策（指挥室与县级的指示）",
                        ("时间", "环节", "人员", "内容", "事件"),
                        tuple(
                            (
                                _t(at),
                                labels.get(a, a),
                                who,
                                comment,
                                Link(f"#{eid}", f"/review/event/{eid}"),
                            )
                            for at, a, who, comment, eid in commands
                        ),  # fmt: skip
                    ),
                ),
            ),
        ),
        notes=_notes(session, ReviewKind.emergency, str(change_id)),
        form=_form(actor, township, ReviewKind.emergency, str(change_id)),
        links=(
            Link("指挥大屏", "/screen"),
            Link("考核", "/assess"),
            Link("下载 PDF", f"/review/emergency/{change_id}?format=pdf"),
        ),
    )


# --- a month ------------------------------------------------------------------------------------


def month_subject(township: str | None, unit: str | None, period: Period) -> str:
    return f"{unit or township or 'county'}:{period.label}"


def month_review(
    *,
    session: Session,
    actor: Actor,
    township: str | None,
    unit: str | None,
    period: Period,
    now: datetime,
) -> ReportPage:
    """A month of a township (or one unit): its indicators, the worst-handled events, the places
    where events repeat."""
    own = policy.assessment_township(actor)
    township = township or own
    policy.require_in_scope(actor, township)
    scope = Scope(township=township, unit=unit)
    table = compute(session=session, actor=actor, period=period, by="county", scope=scope,
                    now=now, compare=True)  # fmt: skip
    figures = table.total.figures
    tiles = tuple(
        (BY_KEY[k].name, "—" if figures[k].value is None else
         f"{figures[k].value:g}{'%' if BY_KEY[k].unit == '%' else ''}")
        for k in MONTH_FIGURES
    )  # fmt: skip
    compare = Table(
        "与上期、去年同期比较",
        ("指标", "本期", "上期", "去年同期"),
        tuple(
            (BY_KEY[k].name, figures[k].value, figures[k].previous, figures[k].last_year)
            for k in MONTH_FIGURES
        ),
    )
    t = period.as_of(now)
    where = ["f.township_code = :t"] if township else []
    params: dict = {"t": township, "start": period.start, "end": t, "unit": unit}
    join = ""
    if unit:
        join = "JOIN unit u ON u.id = f.lead_unit_id"
        where.append("u.code = :unit")
    cond = " AND ".join(where) or "true"
    worst = session.execute(
        text(
            f"""
            SELECT f.event_id, f.overdue_at, f.handled_at, f.reworks, f.returns, f.extensions,
                   EXTRACT(EPOCH FROM (COALESCE(f.handled_at, :end) - f.overdue_at)) / 3600
            FROM indicator_event f {join}
            WHERE {cond} AND ((f.overdue_at >= :start AND f.overdue_at < :end)
                   OR (f.handled_at >= :start AND f.handled_at < :end
                       AND (f.reworks > 0 OR f.returns > 0)))
            ORDER BY COALESCE(EXTRACT(EPOCH FROM (COALESCE(f.handled_at, :end) - f.overdue_at)), 0)
                     DESC, f.reworks + f.returns DESC, f.event_id
            LIMIT 15
            """
        ),
        params,
    ).all()
    shown = {e.id: e for e in session_events(session, actor, [w[0] for w in worst])}
    worst_table = Table(
        "办理最差的事件（超期最久、返工、退回）",
        ("事件", "标题", "超期（小时）", "返工", "退回", "延期"),
        tuple(
            (
                Link(f"#{w[0]}", f"/review/event/{w[0]}"),
                shown[w[0]].title,
                "—" if w[6] is None else f"{w[6]:.1f}",
                w[3],
                w[4],
                w[5],
            )
            for w in worst
            if w[0] in shown
        ),  # fmt: skip
    )
    repeats = session.execute(
        text(
            f"""
            SELECT f.grid_code, COALESCE(a.name, f.grid_code), c.name, count(*)
            FROM indicator_event f {join}
            JOIN category c ON c.code = f.category_code
            LEFT JOIN area a ON a.code = f.grid_code AND a.level = 'grid'
                 AND a.set_id = (SELECT id FROM boundary_set WHERE is_active)
            WHERE {cond} AND f.reported_at >= :start AND f.reported_at < :end
            GROUP BY 1, 2, 3 HAVING count(*) >= 3 ORDER BY 4 DESC LIMIT 20
            """
        ),
        params,
    ).all()
    repeat_table = Table(
        "反复发生的地点（同一网格同类事件 ≥ 3 件）",
        ("网格", "分类", "事件数"),
        tuple((name, category, n) for _, name, category, n in repeats),
    )
    subject = month_subject(township, unit, period)
    who = scope_name_of(session, township)
    if unit:
        who += " " + (session.scalar(select(Unit.name).where(Unit.code == unit)) or unit)
    return ReportPage(
        title=f"月度复盘：{who} {period.label}",
        subtitle=f"统计期 {period.label}，截至 {_t(t)}",
        sections=(
            Section("指标", facts=tiles, tables=(compare,)),
            Section("办理最差的事件", tables=(worst_table,)),
            Section("反复发生的地点", tables=(repeat_table,)),
        ),
        notes=_notes(session, ReviewKind.month, subject),
        form=_form(actor, township, ReviewKind.month, subject),
        links=(
            Link("考核", "/assess"),
            Link(
                "下载 PDF",
                f"/review/month?period={period.label}&township={township or ''}"
                f"&unit={unit or ''}&format=pdf",
            ),
        ),  # fmt: skip
    )


def session_events(session: Session, actor: Actor, ids: list[int]):
    if not ids:
        return []
    return to_out(
        session,
        list(session.scalars(select(Event).where(Event.id.in_(ids), visible_clause(actor)))),
        actor,
        with_tasks=False,
    )


# --- notes --------------------------------------------------------------------------------------


def write_note(
    *,
    session: Session,
    actor: Actor,
    kind: ReviewKind,
    subject: str,
    conclusions: str,
    lessons: str,
    now: datetime,
) -> ReviewNote:
    """Store a reviewer's conclusions and lessons (county or township leaders, in scope)."""
    if kind is ReviewKind.event:
        if not subject.isdigit():
            raise InvalidInput("an event review's subject is the event id", field="subject")
        township = visible_event(session, actor, int(subject)).township_code
    elif kind is ReviewKind.emergency:
        change = session.get(ModeChange, int(subject)) if subject.isdigit() else None
        if change is None:
            raise NotFound(f"there is no emergency declaration {subject}", field="subject")
        township = change.township_code
    else:
        scope, _, label = subject.partition(":")
        parse_period(label, field="subject")
        township = None if scope == "county" else scope[:9]
    policy.require_publish(actor, township)
    note = ReviewNote(
        kind=kind,
        subject=subject,
        conclusions=conclusions,
        lessons=lessons,
        written_by_id=actor.id or None,
        written_by=actor.name,
        written_at=now,
    )
    session.add(note)
    session.flush()
    return note
