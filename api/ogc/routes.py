"""HTTP: OGC API - Features at /ogc (landing page, conformance, api, collections, items,
queryables), in JSON/GeoJSON and HTML. Parameters are read as the standard writes them (`bbox-crs`,
`filter-lang`) and checked by the service: a wrong one is 400 with the exception body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.boundaries.service import page_area
from api.deps import SettingsDep, Tx, client_actor, oauth2_scheme
from api.errors import DomainError
from api.ogc import service
from api.ogc.openapi import openapi_document
from api.ogc.service import GEOJSON, HTML, JSON, OPENAPI, SCHEMA, OgcError
from api.users.service import Actor, Unauthorized
from gis.crs import epsg_uri
from map_ui import ogc as pages
from map_ui.basemaps import BasemapConfig

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

_OGC_CODES = {400: "InvalidParameterValue", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}


async def _optional_actor(request: Request, settings: SettingsDep, tx: Tx) -> Actor | None:
    """The caller as `client_actor` says, or None (an HTML request then goes to the sign-in)."""
    try:
        return await client_actor(request, settings, tx, await oauth2_scheme(request))
    except Unauthorized:
        return None


OptionalActor = Annotated[Actor | None, Depends(_optional_actor)]


def _format(request: Request, accept: str | None) -> str:
    """json or html: the `f` parameter, else the Accept header (browsers ask for HTML)."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in ("json", "geojson", "html"):
            raise OgcError(f"f must be json or html; got {f!r}", field="f")
        return "html" if f == "html" else "json"
    if accept and HTML in accept and "json" not in accept.split(",")[0]:
        return "html"
    return "json"


def ogc_error(exc: DomainError) -> Response:
    """The standard's exception body {code, description} beside Shuxin's {error, message}."""
    status = 400 if exc.status_code == 422 else exc.status_code
    body = {
        "code": _OGC_CODES.get(status, "ServerError"),
        "description": exc.message,
        "error": exc.code,
        "message": exc.message,
        "field": exc.field,
        **{k: v for k, v in exc.details.items() if k not in ("code", "description")},
    }
    return Response(service.dump(body), status_code=status, media_type=JSON)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


def _basemap(settings) -> BasemapConfig:
    return BasemapConfig(
        default=settings.basemap,
        tianditu_key=settings.tianditu_key,
        tianditu_style=settings.tianditu_style,
    )


async def _answer(
    request: Request,
    tx: Tx,
    actor: Actor | None,
    accept: str | None,
    work: Callable[[Session, Actor, str, str], Response],
) -> Response:
    """Run `work(session, actor, format, base)` in one transaction; errors as OGC exceptions,
    an HTML request without sign-in to the sign-in page."""
    try:
        fmt = _format(request, accept)
        if actor is None:
            if fmt == "html":
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            raise Unauthorized(
                "sign in first: a bearer token (POST /api/v1/auth/token), or an API key "
                "(Authorization: Bearer sxk_..., or HTTP Basic with the key as password)"
            )
        return await tx(lambda session: work(session, actor, fmt, _base(request)))
    except DomainError as exc:
        if exc.status_code == 401:
            raise
        return ogc_error(exc)


def _json(document: dict, media_type: str = JSON, headers: dict | None = None) -> Response:
    return Response(service.dump(document), media_type=media_type, headers=headers)


def _plain(document: dict) -> dict:
    """The document as the JSON a client reads (times as text, geometries as objects)."""
    return orjson.loads(service.dump(document))


def _title(session: Session, settings) -> str:
    return f"舒心 Shuxin · {page_area(session=session, settings=settings).name}"


AcceptHeader = Annotated[str | None, Header()]


@router.get("", include_in_schema=False)
@router.get("/", summary="Landing page")
async def landing_page(
    request: Request,
    tx: Tx,
    actor: OptionalActor,
    settings: SettingsDep,
    accept: AcceptHeader = None,
) -> Response:
    """The landing page: links to the API definition, the conformance classes and the data."""

    def work(session: Session, _actor: Actor, fmt: str, base: str) -> Response:
        document = service.landing(base=base, title=_title(session, settings), current=fmt)
        if fmt == "html":
            return HTMLResponse(pages.render_landing(document, base=base))
        return _json(document)

    return await _answer(request, tx, actor, accept, work)


@router.get("/conformance", summary="Conformance classes")
async def conformance(
    request: Request, tx: Tx, actor: OptionalActor, accept: AcceptHeader = None
) -> Response:
    """The conformance classes: Features Parts 1, 2, 3 and CQL2 (text and JSON)."""

    def work(_session: Session, _actor: Actor, fmt: str, base: str) -> Response:
        document = service.conformance(base=base, current=fmt)
        if fmt == "html":
            return HTMLResponse(pages.render_conformance(document, base=base))
        return _json(document)

    return await _answer(request, tx, actor, accept, work)


@router.get("/api", summary="The API definition (OpenAPI 3.0)")
async def api_definition(
    request: Request,
    tx: Tx,
    actor: OptionalActor,
    settings: SettingsDep,
    accept: AcceptHeader = None,
) -> Response:
    """This API as OpenAPI 3.0, with each collection's items path and its queryables."""

    def work(session: Session, _actor: Actor, fmt: str, base: str) -> Response:
        collections = [c for c, _ in service.all_collections(session)]
        document = openapi_document(collections, base=base, title=_title(session, settings))
        if fmt == "html":
            return HTMLResponse(pages.render_api(document, base=base))
        return _json(document, OPENAPI)

    return await _answer(request, tx, actor, accept, work)


@router.get("/collections", summary="The feature collections")
async def collections(
    request: Request, tx: Tx, actor: OptionalActor, accept: AcceptHeader = None
) -> Response:
    """Townships, villages, grids and micro-grids of the active set (and of the other sets, as
    `grids@<set>`), events, open events and points of interest."""

    def work(session: Session, actor: Actor, fmt: str, base: str) -> Response:
        document = service.collections_document(session, actor, base=base, current=fmt)
        if fmt == "html":
            return HTMLResponse(pages.render_collections(document, base=base))
        return _json(document)

    return await _answer(request, tx, actor, accept, work)


@router.get("/collections/{collection_id}", summary="One collection")
async def collection(
    collection_id: str,
    request: Request,
    tx: Tx,
    actor: OptionalActor,
    settings: SettingsDep,
    accept: AcceptHeader = None,
) -> Response:
    """One collection's metadata: extent, CRS list, links to its items and queryables."""

    def work(session: Session, actor: Actor, fmt: str, base: str) -> Response:
        found, boundary_set = service.find_collection(session, collection_id)
        document = service.collection_document(
            session, actor, found, boundary_set, base=base, current=fmt
        )
        if fmt == "html":
            return HTMLResponse(
                pages.render_collection(document, base=base, basemap=_basemap(settings))
            )
        return _json(document)

    return await _answer(request, tx, actor, accept, work)


@router.get("/collections/{collection_id}/queryables", summary="What a filter may use")
async def queryables(
    collection_id: str, request: Request, tx: Tx, actor: OptionalActor, accept: AcceptHeader = None
) -> Response:
    """The collection's queryables as a JSON Schema (Part 3)."""

    def work(session: Session, _actor: Actor, fmt: str, base: str) -> Response:
        found, _set = service.find_collection(session, collection_id)
        document = service.queryables_document(found, base=base)
        if fmt == "html":
            return HTMLResponse(pages.render_schema(document, base=base))
        return _json(document, SCHEMA)

    return await _answer(request, tx, actor, accept, work)


def _content_crs(code: int | None) -> dict[str, str]:
    return {"Content-Crs": f"<{epsg_uri(code)}>"}


@router.get("/collections/{collection_id}/items", summary="Features, a page at a time")
async def items(
    collection_id: str,
    request: Request,
    tx: Tx,
    actor: OptionalActor,
    settings: SettingsDep,
    accept: AcceptHeader = None,
) -> Response:
    """A page of features (GeoJSON): `limit`, `bbox` (+`bbox-crs`), `datetime` (events: the
    report time), `crs`, `filter` (CQL2-text or CQL2-JSON, `filter-lang`, `filter-crs`), a
    queryable as a parameter (`?status=closed`); the `next` and `prev` links page by feature id
    (keyset: new events do not shift the pages)."""
    params = dict(request.query_params)

    def work(session: Session, actor: Actor, fmt: str, base: str) -> Response:
        found, boundary_set = service.find_collection(session, collection_id)
        query = service.parse_items_query(found, params)
        if fmt == "html":  # the map shows CRS84 whatever crs asks
            query = service.ItemsQuery(**{**vars(query), "crs": None})
        document = service.items_document(
            session, actor, found, boundary_set, query, base=base, current=fmt
        )
        if fmt == "html":
            title = f"{found.title} · {found.id}"
            return HTMLResponse(
                pages.render_features(
                    title, _plain(document), base=base, basemap=_basemap(settings)
                )
            )
        return _json(document, GEOJSON, _content_crs(query.crs))

    return await _answer(request, tx, actor, accept, work)


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One feature")
async def item(
    collection_id: str,
    feature_id: str,
    request: Request,
    tx: Tx,
    actor: OptionalActor,
    settings: SettingsDep,
    accept: AcceptHeader = None,
) -> Response:
    """One feature (GeoJSON) in `crs`; 404 when it is not there or not yours to see."""
    unknown = [p for p in request.query_params if p not in ("f", "crs", "api_key")]

    def work(session: Session, actor: Actor, fmt: str, base: str) -> Response:
        if unknown:
            raise OgcError(
                f"unknown parameter {unknown[0]!r}; a feature takes f and crs", field=unknown[0]
            )
        found, boundary_set = service.find_collection(session, collection_id)
        crs = service.parse_crs_parameter(request.query_params.get("crs"), "crs")
        document = service.item_document(
            session,
            actor,
            found,
            boundary_set,
            feature_id,
            crs=None if fmt == "html" else crs,
            base=base,
            current=fmt,
        )
        if fmt == "html":
            title = f"{found.title} · {feature_id}"
            return HTMLResponse(
                pages.render_feature(title, _plain(document), base=base, basemap=_basemap(settings))
            )
        return _json(document, GEOJSON, _content_crs(crs))

    return await _answer(request, tx, actor, accept, work)
