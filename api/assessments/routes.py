"""HTTP: assessments — run a draft, publish, read (frozen), the events behind a figure, exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api import clock
from api.assessments import exports, service
from api.assessments.schemas import AssessmentOut, MembersOut, RowOut, RunIn, SchemeOut
from api.deps import CurrentActor, Tx
from api.events import policy
from api.indicators.periods import parse_period

router = APIRouter(prefix="/api/v1/assessments", tags=["assessments"])


def assessment_out(session, assessment, with_rows: bool = True) -> AssessmentOut:
    rows = service.rows_of(session, assessment) if with_rows else []
    lists = service.red_black(assessment, rows)
    scheme = assessment.scheme
    return AssessmentOut(
        id=assessment.id,
        scheme_code=scheme["code"],
        scheme_name=scheme["name"],
        level=assessment.level,
        township_code=assessment.township_code,
        period=assessment.period,
        period_start=assessment.period_start,
        period_end=assessment.period_end,
        as_of=assessment.as_of,
        state=assessment.state.value,
        created_by=assessment.created_by,
        computed_at=assessment.computed_at,
        published_at=assessment.published_at,
        published_by=assessment.published_by,
        weights=scheme["levels"][assessment.level]["weights"],
        rows=[
            RowOut(
                rank=r.rank,
                previous_rank=r.previous_rank,
                movement=None if r.previous_rank is None else r.previous_rank - r.rank,
                code=r.subject_code,
                name=r.subject_name,
                score=r.score,
                grade=r.grade,
                figures=r.figures,
                parts=r.parts,
            )
            for r in rows
        ],
        red=[r.subject_code for r in lists.red],
        black=[r.subject_code for r in lists.black],
    )


@router.get("", response_model=list[AssessmentOut])
async def list_assessments(tx: Tx, actor: CurrentActor) -> list[AssessmentOut]:
    """The assessments you may see (drafts only if you may publish them), newest first."""
    return await tx(
        lambda s: [
            assessment_out(s, a, with_rows=False)
            for a in service.list_assessments(session=s, actor=actor)
        ]
    )


@router.post("", response_model=AssessmentOut, status_code=201)
async def run(data: RunIn, tx: Tx, actor: CurrentActor) -> AssessmentOut:
    """Run an assessment for a period into a draft (again: the draft is recomputed)."""
    period = parse_period(data.period)
    now = clock.now()

    def work(s):
        assessment = service.run(
            session=s,
            actor=actor,
            scheme_code=data.scheme,
            level=data.level,
            township=data.township,
            period=period,
            now=now,
        )
        return assessment_out(s, assessment)

    return await tx(work)


@router.get("/schemes", response_model=list[SchemeOut])
async def schemes(tx: Tx, actor: CurrentActor) -> list[SchemeOut]:
    """Every loaded scheme and version (load them with `shuxin assessments schemes load`)."""
    policy.assessment_township(actor)
    return await tx(
        lambda s: [
            SchemeOut(
                code=x.code,
                version=x.version,
                name=x.name,
                loaded_at=x.loaded_at,
                loaded_by=x.loaded_by,
                body=x.body,
            )
            for x in service.list_schemes(s)
        ]
    )


@router.get("/{assessment_id}", response_model=AssessmentOut)
async def get_assessment(assessment_id: int, tx: Tx, actor: CurrentActor) -> AssessmentOut:
    """An assessment with its ranked rows and its red and black lists (红黑榜)."""
    return await tx(
        lambda s: assessment_out(
            s, service.get(session=s, actor=actor, assessment_id=assessment_id)
        )
    )


@router.post("/{assessment_id}/publish", response_model=AssessmentOut)
async def publish(assessment_id: int, tx: Tx, actor: CurrentActor) -> AssessmentOut:
    """Publish a draft: it is frozen from now on."""
    now = clock.now()
    return await tx(
        lambda s: assessment_out(
            s, service.publish(session=s, actor=actor, assessment_id=assessment_id, now=now)
        )
    )


@router.get("/{assessment_id}/events", response_model=MembersOut)
async def members(
    assessment_id: int,
    tx: Tx,
    actor: CurrentActor,
    subject: str,
    set: Annotated[str, Query(description="a set of the indicator definitions")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> MembersOut:
    """The events behind one figure of the assessment, as they were when it was run."""
    count, items = await tx(
        lambda s: service.members(
            session=s,
            actor=actor,
            assessment_id=assessment_id,
            subject=subject,
            set_key=set,
            limit=limit,
            offset=offset,
        )
    )
    return MembersOut(count=count, items=items)


@router.get("/{assessment_id}/export.xlsx")
async def export_xlsx(assessment_id: int, tx: Tx, actor: CurrentActor) -> Response:
    """The assessment as an Excel workbook, formatted for print."""
    data, name = await tx(
        lambda s: exports.workbook(session=s, actor=actor, assessment_id=assessment_id)
    )
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.get("/{assessment_id}/report")
async def report(
    assessment_id: int,
    tx: Tx,
    actor: CurrentActor,
    format: Annotated[str, Query(pattern="^(html|pdf)$")] = "html",
) -> Response:
    """The printable report: the map coloured by score, the table, the rankings (HTML or PDF)."""
    page = await tx(lambda s: exports.report(session=s, actor=actor, assessment_id=assessment_id))
    if format == "pdf":
        from map_ui.reports import render_pdf

        return Response(
            render_pdf(page),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="assessment-{assessment_id}.pdf"'},
        )
    from map_ui.reports import render_html

    return HTMLResponse(render_html(page))


@router.get("/{assessment_id}/map.png")
async def score_map(assessment_id: int, tx: Tx, actor: CurrentActor) -> Response:
    """The map coloured by score (townships, villages or grids)."""
    png = await tx(lambda s: exports.score_map(session=s, actor=actor, assessment_id=assessment_id))
    return Response(png, media_type="image/png")
