"""Domain errors and the one place that turns them (and bad requests) into JSON answers.

Every error answer has the shape {"error": code, "message": text, "field": name | null,
"details": [...]} so a client, or the command screen, can show it and point at the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis.errors import GisError
from gis.router import InvalidCoordinates


class DomainError(Exception):
    """An error of the application's rules; subclasses say their status and code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"


_GIS_STATUS = {"invalid": 422, "not_found": 404, "conflict": 409}


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict:
    return {"error": code, "message": message, "field": field, **extra}


def _field_name(location: tuple) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(
    app: FastAPI, *, on_forbidden: Callable[[Request, DomainError], Awaitable[None]] | None = None
) -> None:
    """Register the JSON error handlers on `app`; `on_forbidden` hears of every 403."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
        if "retry_after_s" in exc.details:
            headers["Retry-After"] = str(exc.details["retry_after_s"])
        if exc.status_code == 403 and on_forbidden is not None:
            await on_forbidden(request, exc)
        return JSONResponse(
            error_body(exc.code, exc.message, exc.field, **exc.details),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(GisError)
    async def _gis(_: Request, exc: GisError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.field), status_code=_GIS_STATUS.get(exc.kind, 400)
        )

    @app.exception_handler(InvalidCoordinates)
    async def _coordinates(_: Request, exc: InvalidCoordinates) -> JSONResponse:
        return JSONResponse(error_body("invalid_coordinates", str(exc), exc.field), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "field": _field_name(tuple(err.get("loc", ()))),
                "message": str(err.get("msg", "")).removeprefix("Value error, "),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        first = details[0] if details else {"field": "body", "message": "invalid request"}
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return JSONResponse(
            error_body("validation_error", message, first["field"], details=details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            401: "unauthorized",
            403: "forbidden",
        }.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
