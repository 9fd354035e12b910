"""Shapes drawn by people on a map: circles in metres and GeoJSON polygons, checked."""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from shapely.geometry import shape


def circle(lon: float, lat: float, radius_m: float, segments: int = 64) -> shapely.Polygon:
    """A circle of `radius_m` metres around (lon, lat) WGS84, as a WGS84 polygon.

    Drawn in an azimuthal equidistant projection centred on the point, so it is round on the
    ground, not in degrees.
    """
    if radius_m <= 0:
        raise ValueError(f"radius_m must be > 0, got {radius_m}")
    local = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    back = pyproj.Transformer.from_crs(local, 4326, always_xy=True)
    angles = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    x, y = back.transform(radius_m * np.cos(angles), radius_m * np.sin(angles))
    return shapely.Polygon(np.column_stack([x, y]))


def polygon_from_geojson(geometry: dict) -> shapely.Geometry:
    """A Polygon or MultiPolygon from GeoJSON (WGS84), repaired if self-intersecting.

    Raises ValueError naming what is wrong.
    """
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"geometry must be a GeoJSON Polygon or MultiPolygon; got {kind!r}")
    try:
        shape_ = shape(geometry)
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise ValueError(f"geometry is not valid GeoJSON: {exc}") from None
    if shape_.is_empty:
        raise ValueError("geometry is empty")
    minx, miny, maxx, maxy = shape_.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError("geometry must be in WGS84 lon/lat degrees")
    return shape_ if shape_.is_valid else shapely.make_valid(shape_)
