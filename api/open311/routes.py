"""HTTP: Open311 GeoReport v2 at /open311/v2 (discovery, services, service definitions,
requests), each as `.json` or `.xml`, errors in the standard's form. Programs sign in with an
API key (`api_key`, as the standard says; or HTTP Basic with the key as password), people with
their bearer token or the pages' cookie."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.deps import SettingsDep, Tx, client_actor, oauth2_scheme
from api.errors import DomainError
from api.open311 import service
from api.open311.schemas import Open311ErrorItem, to_xml
from api.users.service import Actor

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])

_MEDIA = {"json": "application/json", "xml": "text/xml; charset=utf-8"}


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _render(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    data = _plain(value)
    if fmt == "xml":
        return Response(to_xml(root, data), status_code=status, media_type=_MEDIA["xml"])
    return Response(orjson.dumps(data), status_code=status, media_type=_MEDIA["json"])


def _error(fmt: str, status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="open311"'} if status == 401 else None
    response = _render(
        fmt if fmt in _MEDIA else "json",
        "errors",
        [Open311ErrorItem(code=status, description=message)],
        status,
    )
    if headers:
        response.headers.update(headers)
    return response


async def _answer(
    request: Request,
    settings,
    tx: Tx,
    fmt: str,
    work: Callable[[Session, Actor], tuple[str, Any, int]],
) -> Response:
    """Sign the caller in, run `work(session, actor)` -> (root element, value, status) in one
    transaction, and answer it in `fmt`; any refusal as the standard's error list."""
    if fmt not in _MEDIA:
        return _error("json", 400, f"the format must be .json or .xml; got .{fmt}")
    try:
        actor = await client_actor(request, settings, tx, await oauth2_scheme(request))
        root, value, status = await tx(lambda session: work(session, actor))
    except DomainError as exc:
        status = 400 if exc.status_code == 422 else exc.status_code
        return _error(fmt, status, exc.message)
    return _render(fmt, root, value, status)


@router.get("/discovery.{fmt}")
async def discovery(fmt: str, request: Request, settings: SettingsDep, tx: Tx) -> Response:
    """Where this endpoint is, what it speaks, and how to get a key."""
    base = str(request.base_url).rstrip("/") + router.prefix
    return await _answer(
        request, settings, tx, fmt, lambda _s, _a: ("discovery", service.discovery(base=base), 200)
    )


@router.get("/services.{fmt}")
async def services(fmt: str, request: Request, settings: SettingsDep, tx: Tx) -> Response:
    """The services: the categories (小类) of the catalog, grouped by 大类."""
    return await _answer(
        request,
        settings,
        tx,
        fmt,
        lambda s, _a: ("services", service.list_services(session=s), 200),
    )


@router.get("/services/{service_code}.{fmt}")
async def service_definition(
    service_code: str, fmt: str, request: Request, settings: SettingsDep, tx: Tx
) -> Response:
    """A service's attributes (its urgencies)."""
    return await _answer(
        request,
        settings,
        tx,
        fmt,
        lambda s, _a: (
            "service_definition",
            service.service_definition(session=s, service_code=service_code),
            200,
        ),
    )


@router.get("/requests.{fmt}")
async def list_requests(fmt: str, request: Request, settings: SettingsDep, tx: Tx) -> Response:
    """Requests you may see: service_request_id (comma separated; overrides the rest),
    service_code, status (open, closed), start_date and end_date (at most 90 days)."""
    params = dict(request.query_params)
    return await _answer(
        request,
        settings,
        tx,
        fmt,
        lambda s, a: (
            "service_requests",
            service.list_requests(session=s, actor=a, params=params),
            200,
        ),
    )


@router.post("/requests.{fmt}")
async def create_request(fmt: str, request: Request, settings: SettingsDep, tx: Tx) -> Response:
    """Report a request (form fields: service_code, lat, long, description, address_string,
    first_name, last_name, phone, media_url, attribute[urgency]; optionally external_id): it
    goes through the normal intake, routed to its grid. 201 when new; 200 with the stored one
    when the same request comes again."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}

    def work(session: Session, actor: Actor) -> tuple[str, Any, int]:
        created, is_new = service.create_request(session=session, actor=actor, form=form)
        return "service_requests", [created], 201 if is_new else 200

    return await _answer(request, settings, tx, fmt, work)


@router.get("/requests/{request_id}.{fmt}")
async def get_request(
    request_id: str, fmt: str, request: Request, settings: SettingsDep, tx: Tx
) -> Response:
    """One request you may see (404 otherwise), as a list of one, as the standard answers."""
    return await _answer(
        request,
        settings,
        tx,
        fmt,
        lambda s, a: (
            "service_requests",
            [service.get_request(session=s, actor=a, request_id=request_id)],
            200,
        ),
    )
