"""The OpenAPI 3.0 definition of the OGC API (`/ogc/api`), built from the collections there are.

Each collection's items path lists its queryables as parameters (Part 3, queryables as query
parameters), so a client such as GDAL learns which attributes it may filter on.
"""

from __future__ import annotations

from api.ogc.cql import GEOMETRY, MAX_VERTICES
from api.ogc.service import (
    DEFAULT_LIMIT,
    GEOJSON,
    HTML,
    JSON,
    MAX_LIMIT,
    OPENAPI,
    SCHEMA,
    SUPPORTED_CRS,
    queryable_schema,
)
from gis.crs import CRS84_URI, epsg_uri

_CRS = [epsg_uri(code) for code in SUPPORTED_CRS]


def _query(name: str, description: str, schema: dict, **extra) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
        **extra,
    }


_F = _query(
    "f", "The format: json (default) or html.", {"type": "string", "enum": ["json", "html"]}
)
_ITEMS_PARAMETERS = [
    _query(
        "limit",
        f"How many features a page holds (at most {MAX_LIMIT:,}; more is taken as the most).",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
    _query(
        "bbox",
        "Only features that intersect this box: lower corner, upper corner, in the axis order "
        "of bbox-crs (CRS84: minlon,minlat,maxlon,maxlat).",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    ),
    _query("bbox-crs", "The CRS of bbox.", {"type": "string", "format": "uri", "enum": _CRS}),
    _query(
        "datetime",
        "Events reported at this instant or in this interval (RFC 3339; open ends as '..').",
        {"type": "string"},
    ),
    _query("crs", "The CRS of the answer's geometries.", {"type": "string", "enum": _CRS}),
    _query(
        "filter",
        f"A CQL2 filter on the collection's queryables (geometries: at most {MAX_VERTICES:,} "
        "vertices together).",
        {"type": "string"},
    ),
    _query(
        "filter-lang",
        "cql2-text (default) or cql2-json.",
        {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"},
    ),
    _query("filter-crs", "The CRS of the filter's geometries.", {"type": "string", "enum": _CRS}),
    _query(
        "after",
        "The page after this feature id (the next link sets it).",
        {"type": "string"},
    ),
    _query(
        "before",
        "The page before this feature id (the prev link sets it).",
        {"type": "string"},
    ),
    _F,
]


def _answer(description: str, media: str) -> dict:
    return {"description": description, "content": {media: {}, HTML: {}}}


_ERRORS = {
    "400": {"description": "A wrong parameter: {code, description}", "content": {JSON: {}}},
    "401": {"description": "Not signed in", "content": {JSON: {}}},
    "404": {"description": "No such collection or feature", "content": {JSON: {}}},
}


def openapi_document(collections: list, *, base: str, title: str) -> dict:
    """The OpenAPI 3.0 document of the OGC API, with a path per collection."""
    paths: dict = {
        "/": {
            "get": {
                "summary": "Landing page",
                "operationId": "getLandingPage",
                "parameters": [_F],
                "responses": {"200": _answer("The landing page", JSON), **_ERRORS},
            }
        },
        "/conformance": {
            "get": {
                "summary": "Conformance classes",
                "operationId": "getConformance",
                "parameters": [_F],
                "responses": {"200": _answer("The conformance classes", JSON), **_ERRORS},
            }
        },
        "/api": {
            "get": {
                "summary": "This API definition",
                "operationId": "getApi",
                "parameters": [_F],
                "responses": {"200": _answer("The API definition", OPENAPI)},
            }
        },
        "/collections": {
            "get": {
                "summary": "The feature collections",
                "operationId": "getCollections",
                "parameters": [_F],
                "responses": {"200": _answer("The collections", JSON), **_ERRORS},
            }
        },
    }
    for collection in collections:
        path = f"/collections/{collection.id}"
        queryables = [
            _query(
                name, f"{q.title or name}: features whose {name} equals this", queryable_schema(q)
            )
            for name, q in collection.queryables.items()
            if q.type != GEOMETRY
        ]
        paths[path] = {
            "get": {
                "summary": f"{collection.title}: metadata",
                "operationId": f"describe-{collection.id}",
                "tags": [collection.id],
                "parameters": [_F],
                "responses": {"200": _answer("The collection", JSON), **_ERRORS},
            }
        }
        paths[f"{path}/items"] = {
            "get": {
                "summary": f"{collection.title}: features",
                "description": collection.description,
                "operationId": f"getFeatures-{collection.id}",
                "tags": [collection.id],
                "parameters": [*_ITEMS_PARAMETERS, *queryables],
                "responses": {"200": _answer("A page of features", GEOJSON), **_ERRORS},
            }
        }
        paths[f"{path}/items/{{featureId}}"] = {
            "get": {
                "summary": f"{collection.title}: one feature",
                "operationId": f"getFeature-{collection.id}",
                "tags": [collection.id],
                "parameters": [
                    {
                        "name": "featureId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    _ITEMS_PARAMETERS[4],
                    _F,
                ],
                "responses": {"200": _answer("The feature", GEOJSON), **_ERRORS},
            }
        }
        paths[f"{path}/queryables"] = {
            "get": {
                "summary": f"{collection.title}: queryables",
                "operationId": f"getQueryables-{collection.id}",
                "tags": [collection.id],
                "parameters": [_F],
                "responses": {"200": _answer("The queryables (JSON Schema)", SCHEMA), **_ERRORS},
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": "OGC API - Features (Parts 1, 2, 3 with CQL2) over Shuxin's "
            f"boundaries, events and points. Geometries are in {CRS84_URI} unless crs says "
            "otherwise.",
        },
        "servers": [{"url": base}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "http", "scheme": "basic"},
            }
        },
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": paths,
    }
