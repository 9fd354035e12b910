"""HTTP: patrols (巡查) — start, positions in batches, end; the patrols of a day (JSON or
GeoJSON lines for the command screen)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from api import clock
from api.deps import CurrentActor, SettingsDep, Tx
from api.geojson import geojson_response, wants_geojson
from api.patrols import service
from api.patrols.schemas import PatrolEnd, PatrolOut, PatrolPoints, PatrolStart

router = APIRouter(prefix="/api/v1", tags=["patrols"])

PatrolId = Annotated[int, Path(ge=1)]


@router.post(
    "/patrols",
    response_model=PatrolOut,
    status_code=201,
    responses={200: {"model": PatrolOut, "description": "Already started (same external_id)"}},
)
async def start_patrol(data: PatrolStart, tx: Tx, actor: CurrentActor) -> Response:
    """Start a patrol. The phone names it (external_id): the same start sent again answers
    the stored patrol (200) instead of a second one."""

    def work(session):
        patrol, created = service.start_patrol(session=session, actor=actor, data=data)
        return service.to_out(session, [patrol])[0], created

    out, created = await tx(work)
    return Response(
        out.model_dump_json(), status_code=201 if created else 200, media_type="application/json"
    )


@router.post("/patrols/{patrol_id}/points", response_model=PatrolOut)
async def add_points(
    patrol_id: PatrolId, data: PatrolPoints, tx: Tx, actor: CurrentActor, settings: SettingsDep
) -> PatrolOut:
    """Positions of your patrol, in a batch (up to 500); each `seq` is stored once, so a batch
    sent again after a lost answer changes nothing. Answers the patrol recomputed."""

    def work(session):
        patrol = service.add_points(
            session=session,
            actor=actor,
            patrol_id=patrol_id,
            points=data.points,
            max_accuracy_m=settings.gps_max_accuracy_m,
        )
        return service.to_out(session, [patrol])[0]

    return await tx(work)


@router.post("/patrols/{patrol_id}/end", response_model=PatrolOut)
async def end_patrol(
    patrol_id: PatrolId, data: PatrolEnd, tx: Tx, actor: CurrentActor
) -> PatrolOut:
    """End your patrol; ending it again answers it unchanged."""

    def work(session):
        patrol = service.end_patrol(
            session=session, actor=actor, patrol_id=patrol_id, ended_at=data.ended_at
        )
        return service.to_out(session, [patrol])[0]

    return await tx(work)


@router.get(
    "/patrols",
    response_model=list[PatrolOut],
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def list_patrols(
    tx: Tx,
    actor: CurrentActor,
    day: Annotated[date | None, Query(description="Default: today")] = None,
    f: Annotated[str | None, Query(description="json (default) or geojson")] = None,
    accept: Annotated[str | None, Header()] = None,
):
    """The patrols of a day you may see (yours; a command room's: its township's; the county:
    all), with their tracks; GeoJSON LineStrings with ?f=geojson."""
    geojson = wants_geojson(f, accept)
    the_day = day or clock.now().date()
    patrols = await tx(
        lambda s: service.to_out(s, service.list_patrols(session=s, actor=actor, day=the_day))
    )
    if geojson:
        return geojson_response(service.to_feature_collection(patrols))
    return patrols
