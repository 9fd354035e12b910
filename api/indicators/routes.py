"""HTTP: indicators over a period (JSON, CSV, Excel), the events behind a figure."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api import clock
from api.deps import CurrentActor, Tx
from api.indicators import service
from api.indicators.definitions import INDICATORS
from api.indicators.exports import indicators_csv, indicators_xlsx
from api.indicators.periods import parse_period
from api.indicators.schemas import (
    EventsBehindOut,
    FigureOut,
    GroupOut,
    IndicatorDefOut,
    IndicatorsOut,
)
from api.indicators.service import IndicatorTable, Scope

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])


def scope_query(
    township: str | None = None,
    village: str | None = None,
    grid: str | None = None,
    platform: str | None = None,
    unit: str | None = None,
    person: int | None = None,
    category: Annotated[str | None, Query(description="大类 (2 digits)")] = None,
    mode: Annotated[
        Literal["all", "emergency", "peacetime"], Query(description="战时 events apart")
    ] = "all",
) -> Scope:
    """Which events count; the same names on every indicator endpoint."""
    return Scope(township, village, grid, platform, unit, person, category, mode)


ScopeDep = Annotated[Scope, Depends(scope_query)]
PeriodQ = Annotated[
    str, Query(description="2026-11-26, 2026-W48, 2026-11, 2026-Q4, 2026 or FROM..TO")
]
By = Annotated[
    Literal["county", "township", "village", "grid", "platform", "unit", "person", "category"],
    Query(description="group by"),
]


def definitions() -> list[IndicatorDefOut]:
    return [
        IndicatorDefOut(
            key=i.key,
            name=i.name,
            unit=i.unit,
            formula=i.formula(),
            higher_is_better=i.higher_is_better,
            numerator=i.numerator,
            denominator=i.denominator,
        )
        for i in INDICATORS
    ]


def table_out(table: IndicatorTable) -> IndicatorsOut:
    def group(g) -> GroupOut:
        return GroupOut(
            code=g.code,
            name=g.name,
            figures={k: FigureOut(**asdict(f)) for k, f in g.figures.items()},
        )

    return IndicatorsOut(
        period=table.period.label,
        start=table.period.start,
        end=table.period.end,
        as_of=table.as_of,
        by=table.by,
        scope={k: v for k, v in asdict(table.scope).items() if v not in (None, "")},
        indicators=definitions(),
        groups=[group(g) for g in table.groups],
        total=group(table.total),
    )


@router.get("", response_model=IndicatorsOut)
async def indicators(
    tx: Tx,
    actor: CurrentActor,
    scope: ScopeDep,
    period: PeriodQ,
    by: By = "county",
    compare: Annotated[bool, Query(description="previous period and last year")] = False,
    format: Literal["json", "csv", "xlsx"] = "json",
):
    """Every indicator of the period per group, within your scope; `format=csv` or `xlsx`."""
    span = parse_period(period)
    now = clock.now()
    table = await tx(
        lambda s: service.compute(
            session=s, actor=actor, period=span, by=by, scope=scope, now=now, compare=compare
        )
    )
    name = f"indicators-{span.label}-{by}"
    if format == "csv":
        return Response(
            indicators_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "xlsx":
        return Response(
            indicators_xlsx(table),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return table_out(table)


@router.get("/definitions", response_model=list[IndicatorDefOut])
async def indicator_definitions(actor: CurrentActor) -> list[IndicatorDefOut]:
    """What each indicator counts (the same table as the docs)."""
    return definitions()


@router.get("/events", response_model=EventsBehindOut)
async def events_behind(
    tx: Tx,
    actor: CurrentActor,
    scope: ScopeDep,
    period: PeriodQ,
    set: Annotated[str, Query(description="a set of the definitions, e.g. reworked")],
    by: By = "county",
    code: str = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EventsBehindOut:
    """The events behind a figure: one set of the period, in one group."""
    span = parse_period(period)
    now = clock.now()
    count, items = await tx(
        lambda s: service.events_behind(
            session=s,
            actor=actor,
            period=span,
            set_key=set,
            by=by,
            code=code,
            scope=scope,
            now=now,
            limit=limit,
            offset=offset,
        )
    )
    return EventsBehindOut(count=count, items=items)


@router.get("/map.png")
async def indicator_map(
    tx: Tx,
    actor: CurrentActor,
    scope: ScopeDep,
    period: PeriodQ,
    indicator: Annotated[str, Query(description="an indicator key, e.g. close_rate")],
    by: Annotated[
        Literal["township", "village", "grid"], Query(description="the level of the areas")
    ] = "township",
    format: Literal["png", "svg"] = "png",
) -> Response:
    """The map coloured by one indicator at one level (drawn on the server: PNG or SVG)."""
    from api.indicators.maps import indicator_map as draw

    span = parse_period(period)
    service.indicator(indicator)
    now = clock.now()

    def work(s):
        table = service.compute(session=s, actor=actor, period=span, by=by, scope=scope, now=now)
        return draw(s, table, indicator, fmt=format)

    image = await tx(work)
    return Response(image, media_type="image/png" if format == "png" else "image/svg+xml")
