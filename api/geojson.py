"""GeoJSON answers and the query parameters that spatial endpoints share."""

from __future__ import annotations

import math

import orjson
from fastapi import Response

from api.errors import InvalidInput

GEOJSON = "application/geo+json"


def geojson_response(body: dict, status_code: int = 200) -> Response:
    """A GeoJSON document with its own media type."""
    return Response(orjson.dumps(body), status_code=status_code, media_type=GEOJSON)


def parse_bbox(value: str | None, field: str = "bbox") -> tuple[float, float, float, float] | None:
    """'minlon,minlat,maxlon,maxlat' in WGS84 degrees, checked; None when not given."""
    if value is None or value == "":
        return None
    parts = value.split(",")
    example = "e.g. bbox=119.0,28.9,119.4,29.2"
    if len(parts) != 4:
        raise InvalidInput(
            f"{field} must be minlon,minlat,maxlon,maxlat ({example}); got {value!r}", field=field
        )
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(
            f"{field} must be four numbers ({example}); got {value!r}", field=field
        ) from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise InvalidInput(f"{field} must be four finite numbers; got {value!r}", field=field)
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InvalidInput(
            f"{field} must have -180 <= minlon <= maxlon <= 180 and "
            f"-90 <= minlat <= maxlat <= 90 ({example}); got {value!r}",
            field=field,
        )
    return x0, y0, x1, y1


def wants_geojson(f: str | None, accept: str | None) -> bool:
    """True for ?f=geojson or an Accept header asking for application/geo+json."""
    if f is not None:
        if f not in ("json", "geojson"):
            raise InvalidInput(f"f must be json or geojson; got {f!r}", field="f")
        return f == "geojson"
    return bool(accept and GEOJSON in accept)
