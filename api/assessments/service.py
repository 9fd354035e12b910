"""Assessments (考核评价): run for a period into a draft, review, publish (frozen), rank.

A run computes the indicators of its level (api/indicators/service.py) in its scope, scores them
with a copy of the scheme (api/assessments/scoring.py), ranks them against the last published
assessment of the previous period (movement), and stores the rows and the events behind every
figure (`AssessmentMember`, one bit per set). Running again replaces a draft; a published
assessment is never recomputed: its rows and members are what every reader gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from api.assessments.models import (
    Assessment,
    AssessmentMember,
    AssessmentRow,
    AssessmentScheme,
    AssessmentState,
)
from api.assessments.scoring import check_scheme, default_scheme, read_scheme, score
from api.errors import Conflict, InvalidInput, NotFound
from api.events import policy
from api.events.schemas import EventOut
from api.indicators import facts
from api.indicators.definitions import PERIOD_ROWS, SETS, SUPERVISION_SETS
from api.indicators.periods import Period, parse_period
from api.indicators.service import GROUPS, Scope, compute, events_by_ids
from api.users.service import Actor

MEMBER_BITS: dict[str, int] = {key: 1 << i for i, key in enumerate([*SETS, *SUPERVISION_SETS])}
"""The bit of each set in `AssessmentMember.sets`."""


class AssessmentNotFound(NotFound):
    code = "assessment_not_found"


# --- schemes ------------------------------------------------------------------------------------


def load_scheme(*, session: Session, body: dict, by: str, now: datetime) -> AssessmentScheme:
    """Store a checked scheme as the next version of its code."""
    check_scheme(body)
    version = (
        session.scalar(
            select(AssessmentScheme.version)
            .where(AssessmentScheme.code == body["code"])
            .order_by(AssessmentScheme.version.desc())
            .limit(1)
        )
        or 0
    ) + 1
    scheme = AssessmentScheme(
        code=body["code"],
        version=version,
        name=body["name"],
        body=body,
        loaded_at=now,
        loaded_by=by,
    )
    session.add(scheme)
    session.flush()
    return scheme


def load_scheme_text(*, session: Session, text_: str, by: str, now: datetime) -> AssessmentScheme:
    return load_scheme(session=session, body=read_scheme(text_), by=by, now=now)


def current_scheme(session: Session, code: str, now: datetime) -> AssessmentScheme:
    """The newest version of a scheme; the shipped default is loaded on first use."""
    scheme = session.scalar(
        select(AssessmentScheme)
        .where(AssessmentScheme.code == code)
        .order_by(AssessmentScheme.version.desc())
        .limit(1)
    )
    if scheme is None and code == "default":
        scheme = load_scheme(session=session, body=default_scheme(), by="系统（默认方案）", now=now)
    if scheme is None:
        raise NotFound(
            f"there is no scheme {code!r}: load one with `shuxin assessments schemes load FILE`",
            field="scheme",
        )
    return scheme


def list_schemes(session: Session) -> list[AssessmentScheme]:
    return list(
        session.scalars(
            select(AssessmentScheme).order_by(AssessmentScheme.code, AssessmentScheme.version)
        )
    )


# --- runs ---------------------------------------------------------------------------------------


def _level_scope(level: str, township: str | None) -> None:
    if level != "township" and not township:
        raise InvalidInput(
            f"a {level} assessment belongs to one township: give township", field="township"
        )
    if level == "township" and township:
        raise InvalidInput(
            "townships are assessed by the county: leave township empty", field="township"
        )


def run(
    *,
    session: Session,
    actor: Actor,
    scheme_code: str,
    level: str,
    township: str | None,
    period: Period,
    now: datetime,
) -> Assessment:
    """Compute (or compute again) the draft assessment of a period."""
    _level_scope(level, township)
    policy.require_publish(actor, township)
    scheme = current_scheme(session, scheme_code, now)
    existing = session.scalar(
        select(Assessment).where(
            Assessment.scheme_id.in_(
                select(AssessmentScheme.id).where(AssessmentScheme.code == scheme_code)
            ),
            Assessment.level == level,
            Assessment.township_code.is_not_distinct_from(township),
            Assessment.period == period.label,
        )
    )
    if existing is not None and existing.state is AssessmentState.published:
        raise Conflict(
            f"assessment {existing.id} of {period.label} is published and frozen; it is never "
            "computed again",
            field="period",
            assessment_id=existing.id,
        )
    table = compute(
        session=session,
        actor=actor,
        period=period,
        by=level,
        scope=Scope(township=township),
        now=now,
    )
    subjects = [
        (g.code, g.name, {k: vars(f) for k, f in g.figures.items()}) for g in table.groups if g.code
    ]
    scored = score(scheme.body, level, subjects)
    previous = _previous_ranks(session, scheme_code, level, township, period)
    if existing is None:
        existing = Assessment(
            scheme_id=scheme.id,
            level=level,
            township_code=township,
            period=period.label,
            period_start=period.start,
            period_end=period.end,
            scope_name=scope_name_of(session, township),
            state=AssessmentState.draft,
            created_at=now,
            created_by=actor.name,
        )
        session.add(existing)
    existing.scheme_id, existing.scheme = scheme.id, scheme.body
    existing.as_of, existing.computed_at = table.as_of, now
    session.flush()
    session.execute(delete(AssessmentRow).where(AssessmentRow.assessment_id == existing.id))
    session.execute(delete(AssessmentMember).where(AssessmentMember.assessment_id == existing.id))
    for s in scored:
        session.add(
            AssessmentRow(
                assessment_id=existing.id,
                subject_code=s.code,
                subject_name=s.name,
                figures=s.figures,
                parts=s.parts,
                score=s.score,
                grade=s.grade,
                rank=s.rank,
                previous_rank=previous.get(s.code),
            )
        )
    _store_members(session, existing, level, township, period, table.as_of)
    session.flush()
    return existing


def scope_name_of(session: Session, township: str | None) -> str:
    """The township's name in the active set (or the county's, the set's place)."""
    if township:
        name = session.scalar(
            text(
                "SELECT a.name FROM area a JOIN boundary_set s ON s.id = a.set_id AND s.is_active "
                "WHERE a.code = :c"
            ),
            {"c": township},
        )
        return name or township
    place = session.scalar(text("SELECT place_name FROM boundary_set WHERE is_active"))
    return place or "全县"


def _previous_ranks(
    session: Session, scheme_code: str, level: str, township: str | None, period: Period
) -> dict[str, int]:
    before = session.scalar(
        select(Assessment.id).where(
            Assessment.scheme_id.in_(
                select(AssessmentScheme.id).where(AssessmentScheme.code == scheme_code)
            ),
            Assessment.level == level,
            Assessment.township_code.is_not_distinct_from(township),
            Assessment.period == period.previous().label,
            Assessment.state == AssessmentState.published,
        )
    )
    if before is None:
        return {}
    return dict(
        session.execute(
            select(AssessmentRow.subject_code, AssessmentRow.rank).where(
                AssessmentRow.assessment_id == before
            )
        ).all()
    )


def _store_members(
    session: Session,
    assessment: Assessment,
    level: str,
    township: str | None,
    period: Period,
    t: datetime,
) -> None:
    """The events behind every figure, with a bit per set (one INSERT ... SELECT)."""
    facts.refresh(session)
    bits = " | ".join(
        f"(CASE WHEN {SETS[key].sql} THEN {bit} ELSE 0 END)"
        for key, bit in MEMBER_BITS.items()
        if key in SETS
    )
    orders = (
        "SELECT s.event_id FROM supervision s WHERE s.kind = 'order' "
        "AND s.issued_at >= :start AND s.issued_at < :t"
    )
    unanswered = (
        f"{orders} AND s.reply_due < :t AND (s.answered_at IS NULL OR s.answered_at > s.reply_due)"
    )
    bits += (
        f" | (CASE WHEN f.event_id IN ({orders}) THEN {MEMBER_BITS['supervision']} ELSE 0 END)"
        f" | (CASE WHEN f.event_id IN ({unanswered}) "
        f"THEN {MEMBER_BITS['supervision_unanswered']} ELSE 0 END)"
    )
    scope = "AND f.township_code = :township" if township else ""
    sql = f"""
        INSERT INTO assessment_member (assessment_id, subject_code, event_id, sets)
        SELECT :aid, g, event_id, sets FROM (
            SELECT {GROUPS[level]} AS g, f.event_id, {bits} AS sets
            FROM indicator_event f LEFT JOIN unit u ON u.id = f.lead_unit_id
            WHERE (({PERIOD_ROWS}) OR f.event_id IN ({orders})) {scope}
        ) m
        WHERE g IS NOT NULL AND sets <> 0
    """
    session.execute(
        text(sql),
        {"aid": assessment.id, "start": period.start, "t": t, "township": township},
    )


def publish(*, session: Session, actor: Actor, assessment_id: int, now: datetime) -> Assessment:
    """Publish a draft: from now on it is frozen."""
    assessment = get(session=session, actor=actor, assessment_id=assessment_id, for_update=True)
    policy.require_publish(actor, assessment.township_code)
    if assessment.state is AssessmentState.published:
        raise Conflict(
            f"assessment {assessment.id} was already published on "
            f"{assessment.published_at:%Y-%m-%d %H:%M} by {assessment.published_by}",
            field="assessment_id",
        )
    assessment.state = AssessmentState.published
    assessment.published_at, assessment.published_by = now, actor.name
    session.flush()
    return assessment


def get(
    *, session: Session, actor: Actor, assessment_id: int, for_update: bool = False
) -> Assessment:
    """An assessment the actor may see (drafts: those who may publish it); 404 otherwise."""
    query = select(Assessment).where(Assessment.id == assessment_id)
    if for_update:
        query = query.with_for_update()
    assessment = session.scalar(query)
    if assessment is None or not _may_see(actor, assessment):
        raise AssessmentNotFound(
            f"there is no assessment {assessment_id} you can see", field="assessment_id"
        )
    return assessment


def _may_see(actor: Actor, assessment: Assessment) -> bool:
    own = policy.assessment_township(actor)
    if own is not None and assessment.township_code != own:
        return False
    if assessment.state is AssessmentState.draft:
        try:
            policy.require_publish(actor, assessment.township_code)
        except policy.Forbidden:
            return False
    return True


def list_assessments(*, session: Session, actor: Actor) -> list[Assessment]:
    """The assessments the actor may see, newest period first."""
    own = policy.assessment_township(actor)
    query = select(Assessment).order_by(Assessment.period_start.desc(), Assessment.id.desc())
    if own is not None:
        query = query.where(Assessment.township_code == own)
    return [a for a in session.scalars(query) if _may_see(actor, a)]


def rows_of(session: Session, assessment: Assessment) -> list[AssessmentRow]:
    return list(
        session.scalars(
            select(AssessmentRow)
            .where(AssessmentRow.assessment_id == assessment.id)
            .order_by(AssessmentRow.rank, AssessmentRow.subject_code)
        )
    )


@dataclass(frozen=True)
class Lists:
    red: list[AssessmentRow]
    black: list[AssessmentRow]


def red_black(assessment: Assessment, rows: list[AssessmentRow]) -> Lists:
    """红黑榜: the best and the worst subjects, as many as the scheme says, at most half of
    the subjects each (so no one is on both)."""
    half = len(rows) // 2
    red = min(int(assessment.scheme.get("red_list", 3)), half)
    black = min(int(assessment.scheme.get("black_list", 3)), half)
    return Lists(rows[:red], list(reversed(rows))[:black])


def members(
    *,
    session: Session,
    actor: Actor,
    assessment_id: int,
    subject: str,
    set_key: str,
    limit: int = 200,
    offset: int = 0,
) -> tuple[int, list[EventOut]]:
    """The events behind one figure of a stored assessment: (how many, a page of them)."""
    assessment = get(session=session, actor=actor, assessment_id=assessment_id)
    if set_key not in MEMBER_BITS:
        raise InvalidInput(f"set must be one of {', '.join(MEMBER_BITS)}", field="set")
    ids = list(
        session.scalars(
            select(AssessmentMember.event_id)
            .where(
                AssessmentMember.assessment_id == assessment.id,
                AssessmentMember.subject_code == subject,
                AssessmentMember.sets.op("&")(MEMBER_BITS[set_key]) != 0,
            )
            .order_by(AssessmentMember.event_id)
        )
    )
    return len(ids), events_by_ids(session, actor, ids[offset : offset + limit])


def period_of(label: str) -> Period:
    return parse_period(label)
