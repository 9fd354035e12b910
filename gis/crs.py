"""Coordinate conversion for China: WGS84, CGCS2000, GCJ-02, BD-09 and EPSG codes.

All angles are decimal degrees, always in (lon, lat) order.

* WGS84 (EPSG:4326) is the storage and exchange CRS.
* CGCS2000 (EPSG:4490, 中国大地坐标系2000) is treated as identical to WGS84: the two
  datums agree to within a few centimetres, far below what a township map can show, and
  PROJ itself uses a "ballpark" (null) transformation between them.
* GCJ-02 (国测局坐标, the "Mars" offset used by Amap, Tencent and WeChat) is WGS84 plus a
  non-linear, deliberately obscured offset of a few hundred metres.  The forward formula is
  the well-known public one (Krasovsky ellipsoid a = 6378245.0, ee = 0.00669342162296594323);
  points outside the usual `out_of_china` box are left unchanged, as in the reference
  implementations (wandergis/coordTransform_py, googollee/eviltransform).
* BD-09 (Baidu) is GCJ-02 plus a further analytic rotation/scaling offset (x_pi =
  pi * 3000 / 180).  That offset is applied everywhere (as wandergis/coordtransform does), so
  BD-09 <-> GCJ-02 stays consistent even outside China.

All inverses are iterative (fixed-point iteration on the forward formula until every step is
below 1e-9 degrees, at most 30 steps), so WGS84 -> GCJ-02 -> WGS84 and WGS84 -> BD-09 -> WGS84
return to within millimetres.  The common one-step GCJ-02 inverse is off by up to a few metres,
and the published BD-09 -> GCJ-02 formula by up to ~0.2 m; both are used only as the starting
point of the iteration.

Every conversion is vectorised with numpy: pass floats or arrays (of the same shape) and get
floats or float64 arrays of that shape back.

This module is the spatial core: it imports only numpy, pyproj and shapely.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

__all__ = [
    "BD09",
    "CGCS2000",
    "CRS84_URI",
    "GCJ02",
    "WGS84",
    "bd09_to_gcj02",
    "axes_to_wgs84",
    "bd09_to_wgs84",
    "epsg_uri",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "northing_first",
    "out_of_china",
    "parse_crs",
    "parse_crs_uri",
    "to_wgs84",
    "transform_geometries_axes",
    "transform_geometries_to_wgs84",
    "wgs84_to_axes",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatOrArray = float | npt.NDArray[np.float64]
"""A coordinate: a Python float for scalar input, a float64 array for array input."""
_Array = npt.NDArray[np.float64]
_Pair = tuple[_Array, _Array]

# Canonical keys returned by parse_crs (EPSG codes come back as "EPSG:NNNN").
WGS84 = "wgs84"
CGCS2000 = "cgcs2000"
GCJ02 = "gcj02"
BD09 = "bd09"

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

# The `out_of_china` box of wandergis/coordTransform_py and googollee/eviltransform.
_LON_MIN, _LON_MAX = 72.004, 137.8347
_LAT_MIN, _LAT_MAX = 0.8293, 55.8271

# Fixed-point iteration of the inverses.
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30

_CRS_MESSAGE = "crs must be wgs84, cgcs2000, gcj02, bd09 or an EPSG code such as EPSG:4549"


# --------------------------------------------------------------------------- helpers


def _as_float_array(value: Any, name: str) -> _Array:
    """Return `value` as a float64 array (a copy), or raise TypeError naming `name`."""
    if isinstance(value, str | bytes) or value is None:
        raise TypeError(f"{name} must be a number or an array of numbers; got {value!r}")
    try:
        return np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a number or an array of numbers; got {type(value).__name__}"
        ) from None


def _prepare(lon: Any, lat: Any) -> tuple[_Array, _Array, tuple[int, ...]]:
    """Return flat float64 copies of lon and lat and their common shape."""
    lon_a = _as_float_array(lon, "lon")
    lat_a = _as_float_array(lat, "lat")
    if lon_a.shape != lat_a.shape:
        raise ValueError(
            f"lon and lat must have the same shape; got {lon_a.shape} and {lat_a.shape}"
        )
    return lon_a.ravel(), lat_a.ravel(), lon_a.shape


def _finish(lon: _Array, lat: _Array, shape: tuple[int, ...]) -> tuple[FloatOrArray, FloatOrArray]:
    """Give flat results the input's shape; 0-d input comes back as Python floats."""
    if shape == ():
        return float(lon[0]), float(lat[0])
    return lon.reshape(shape), lat.reshape(shape)


def _out_of_china(lon: _Array, lat: _Array) -> npt.NDArray[np.bool_]:
    return (lon < _LON_MIN) | (lon > _LON_MAX) | (lat < _LAT_MIN) | (lat > _LAT_MAX)


def _gcj_offset(lon: _Array, lat: _Array) -> _Pair:
    """GCJ-02 minus WGS84 at WGS84 (lon, lat), in degrees, ignoring the China box."""
    x = lon - 105.0
    y = lat - 35.0
    xy = x * y
    sqrt_abs_x = np.sqrt(np.abs(x))
    x_pi = x * np.pi
    y_pi = y * np.pi
    common = 20.0 * np.sin(6.0 * x_pi) + 20.0 * np.sin(2.0 * x_pi)

    t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * xy + 0.2 * sqrt_abs_x
    t_lat += (
        common
        + 20.0 * np.sin(y_pi)
        + 40.0 * np.sin(y_pi / 3.0)
        + 160.0 * np.sin(y_pi / 12.0)
        + 320.0 * np.sin(y_pi / 30.0)
    ) * (2.0 / 3.0)

    t_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * xy + 0.1 * sqrt_abs_x
    t_lon += (
        common
        + 20.0 * np.sin(x_pi)
        + 40.0 * np.sin(x_pi / 3.0)
        + 150.0 * np.sin(x_pi / 12.0)
        + 300.0 * np.sin(x_pi / 30.0)
    ) * (2.0 / 3.0)

    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (t_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (t_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def _wgs_to_gcj(lon: _Array, lat: _Array) -> _Pair:
    """Flat-array WGS84 -> GCJ-02, leaving points outside China unchanged."""
    out_lon = lon.copy()
    out_lat = lat.copy()
    inside = ~_out_of_china(lon, lat)
    if inside.all():
        d_lon, d_lat = _gcj_offset(lon, lat)
        return out_lon + d_lon, out_lat + d_lat
    d_lon, d_lat = _gcj_offset(lon[inside], lat[inside])
    out_lon[inside] += d_lon
    out_lat[inside] += d_lat
    return out_lon, out_lat


def _invert(
    forward: Callable[[_Array, _Array], _Pair],
    lon: _Array,
    lat: _Array,
    start_lon: _Array,
    start_lat: _Array,
) -> _Pair:
    """Solve forward(x) = (lon, lat) by fixed-point iteration x <- x - (forward(x) - target).

    Converges because both offsets vary by far less than 1 % per unit of distance, so each
    step shrinks the error at least ~50-fold; stops once every step is below 1e-9 degrees.
    """
    x_lon = start_lon.copy()
    x_lat = start_lat.copy()
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(x_lon, x_lat)
        step_lon = f_lon - lon
        step_lat = f_lat - lat
        x_lon -= step_lon
        x_lat -= step_lat
        # NaN compares False, so NaN input does not keep the loop going.
        if not (
            np.any(np.abs(step_lon) > _TOLERANCE_DEG) or np.any(np.abs(step_lat) > _TOLERANCE_DEG)
        ):
            break
    return x_lon, x_lat


def _gcj_forward_unboxed(lon: _Array, lat: _Array) -> _Pair:
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def _gcj_to_wgs(lon: _Array, lat: _Array) -> _Pair:
    """Flat-array GCJ-02 -> WGS84 by fixed-point iteration; outside China unchanged."""
    out_lon = lon.copy()
    out_lat = lat.copy()
    inside = ~_out_of_china(lon, lat)
    g_lon = lon[inside]
    g_lat = lat[inside]
    if g_lon.size == 0:
        return out_lon, out_lat
    # Start from the classic one-step inverse (off by up to a few metres).
    d_lon, d_lat = _gcj_offset(g_lon, g_lat)
    w_lon, w_lat = _invert(_gcj_forward_unboxed, g_lon, g_lat, g_lon - d_lon, g_lat - d_lat)
    out_lon[inside] = w_lon
    out_lat[inside] = w_lat
    return out_lon, out_lat


def _gcj_to_bd(lon: _Array, lat: _Array) -> _Pair:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_analytic(lon: _Array, lat: _Array) -> _Pair:
    """The published one-step BD-09 -> GCJ-02 formula (off by up to ~0.2 m)."""
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _bd_to_gcj(lon: _Array, lat: _Array) -> _Pair:
    """Flat-array BD-09 -> GCJ-02: the published formula refined by iteration to ~1e-9 deg."""
    return _invert(_gcj_to_bd, lon, lat, *_bd_to_gcj_analytic(lon, lat))


# --------------------------------------------------------------------------- public API


def out_of_china(lon: Any, lat: Any) -> bool | npt.NDArray[np.bool_]:
    """True where degrees (lon, lat) fall outside the box in which GCJ-02 offsets apply."""
    lon_a, lat_a, shape = _prepare(lon, lat)
    result = _out_of_china(lon_a, lat_a)
    return bool(result[0]) if shape == () else result.reshape(shape)


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[FloatOrArray, FloatOrArray]:
    """WGS84 (or CGCS2000) degrees to GCJ-02 degrees; points outside China are unchanged."""
    lon_a, lat_a, shape = _prepare(lon, lat)
    return _finish(*_wgs_to_gcj(lon_a, lat_a), shape)


def gcj02_to_wgs84(lon: Any, lat: Any) -> tuple[FloatOrArray, FloatOrArray]:
    """GCJ-02 degrees to WGS84 degrees by iteration (mm-exact); outside China unchanged."""
    lon_a, lat_a, shape = _prepare(lon, lat)
    return _finish(*_gcj_to_wgs(lon_a, lat_a), shape)


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[FloatOrArray, FloatOrArray]:
    """GCJ-02 degrees to Baidu BD-09 degrees (analytic, applied everywhere)."""
    lon_a, lat_a, shape = _prepare(lon, lat)
    return _finish(*_gcj_to_bd(lon_a, lat_a), shape)


def bd09_to_gcj02(lon: Any, lat: Any) -> tuple[FloatOrArray, FloatOrArray]:
    """Baidu BD-09 degrees to GCJ-02 degrees (published formula refined by iteration)."""
    lon_a, lat_a, shape = _prepare(lon, lat)
    return _finish(*_bd_to_gcj(lon_a, lat_a), shape)


def wgs84_to_bd09(lon: Any, lat: Any) -> tuple[FloatOrArray, FloatOrArray]:
    """WGS84 (or CGCS2000) degrees to Baidu BD-09 degrees, via GCJ-02."""
    lon_a, lat_a, shape = _prepare(lon, lat)
    return _finish(*_gcj_to_bd(*_wgs_to_gcj(lon_a, lat_a)), shape)


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[FloatOrArray, FloatOrArray]:
    """Baidu BD-09 degrees to WGS84 degrees, via GCJ-02 with the iterative inverse."""
    lon_a, lat_a, shape = _prepare(lon, lat)
    return _finish(*_gcj_to_wgs(*_bd_to_gcj(lon_a, lat_a)), shape)


_ALIASES: dict[str, str] = {
    "wgs84": WGS84,
    "wgs1984": WGS84,
    "crs84": WGS84,
    "ogc:crs84": WGS84,
    "cgcs2000": CGCS2000,
    "cgcs": CGCS2000,
    "gcj02": GCJ02,
    "gcj": GCJ02,
    "bd09": BD09,
    "bd09ll": BD09,
    "baidu": BD09,
}
_EPSG_ALIASES: dict[int, str] = {4326: WGS84, 4490: CGCS2000}
_EPSG_PATTERN = re.compile(r"^(?:epsg:?)?(\d{1,7})$")


@lru_cache(maxsize=256)
def _epsg_crs(code: int) -> pyproj.CRS | None:
    """The pyproj CRS for an EPSG code, or None when PROJ does not know it."""
    try:
        return pyproj.CRS.from_epsg(code)
    except CRSError:
        return None


def parse_crs(value: str | int | None) -> str:
    """Normalise a CRS name or EPSG code to wgs84, cgcs2000, gcj02, bd09 or 'EPSG:NNNN'."""
    if value is None:
        return WGS84
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(
            f"crs must be a string, an integer EPSG code or None; got {type(value).__name__}"
        )
    if isinstance(value, int):
        code: int | None = value if value > 0 else None
    else:
        key = re.sub(r"[\s_\-]", "", value.strip().lower())
        if key in _ALIASES:
            return _ALIASES[key]
        match = _EPSG_PATTERN.match(key)
        code = int(match.group(1)) if match else None
    if code is None:
        raise ValueError(f"{_CRS_MESSAGE}; got {value!r}")
    if code in _EPSG_ALIASES:
        return _EPSG_ALIASES[code]
    crs = _epsg_crs(code)
    if crs is None:
        raise ValueError(f"{_CRS_MESSAGE}; got {value!r}")
    if not (crs.is_geographic or crs.is_projected):
        raise ValueError(
            f"crs must be a horizontal (geographic or projected) CRS; "
            f"EPSG:{code} ({crs.name}) is not"
        )
    return f"EPSG:{code}"


@lru_cache(maxsize=128)
def _transformer(source: str, target: str) -> pyproj.Transformer:
    """A cached lon/lat-ordered pyproj transformer between two 'EPSG:NNNN' codes."""
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def _pyproj_transform(lon: _Array, lat: _Array, source: str, target: str) -> _Pair:
    x, y = _transformer(source, target).transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _to_wgs84_flat(lon: _Array, lat: _Array, key: str) -> _Pair:
    if key in (WGS84, CGCS2000):
        return lon, lat
    if key == GCJ02:
        return _gcj_to_wgs(lon, lat)
    if key == BD09:
        return _gcj_to_wgs(*_bd_to_gcj(lon, lat))
    return _pyproj_transform(lon, lat, key, "EPSG:4326")


def to_wgs84(lon: Any, lat: Any, crs: str | int | None) -> tuple[FloatOrArray, FloatOrArray]:
    """Coordinates in `crs` (degrees, or easting/northing for projected EPSG codes) to WGS84."""
    key = parse_crs(crs)
    lon_a, lat_a, shape = _prepare(lon, lat)
    return _finish(*_to_wgs84_flat(lon_a, lat_a, key), shape)


def from_wgs84(lon: Any, lat: Any, crs: str | int | None) -> tuple[FloatOrArray, FloatOrArray]:
    """WGS84 degrees to `crs` (degrees, or easting/northing for projected EPSG codes)."""
    key = parse_crs(crs)
    lon_a, lat_a, shape = _prepare(lon, lat)
    if key in (WGS84, CGCS2000):
        out = lon_a, lat_a
    elif key == GCJ02:
        out = _wgs_to_gcj(lon_a, lat_a)
    elif key == BD09:
        out = _gcj_to_bd(*_wgs_to_gcj(lon_a, lat_a))
    else:
        out = _pyproj_transform(lon_a, lat_a, "EPSG:4326", key)
    return _finish(*out, shape)


def _coordinate_function(
    key: str,
) -> Callable[[_Array], _Array]:
    """A shapely.transform callback taking (N, 2|3) coordinates in `key` to WGS84."""

    def convert(coords: _Array) -> _Array:
        out = np.array(coords, dtype=np.float64)
        lon, lat = _to_wgs84_flat(out[:, 0].copy(), out[:, 1].copy(), key)
        out[:, 0] = lon
        out[:, 1] = lat
        return out

    return convert


def transform_geometries_to_wgs84(
    geoms: npt.NDArray[np.object_] | Sequence[BaseGeometry | None] | BaseGeometry,
    crs: str | int | None,
) -> npt.NDArray[np.object_] | BaseGeometry:
    """Shapely geometries in `crs` to WGS84 lon/lat degrees; Z values and None pass through."""
    key = parse_crs(crs)
    if isinstance(geoms, BaseGeometry):
        return transform_geometries_to_wgs84(np.array([geoms], dtype=object), key)[0]
    if isinstance(geoms, str | bytes):
        raise TypeError("geoms must be an array or list of shapely geometries; got str")
    array = np.asarray(geoms, dtype=object)
    valid = shapely.is_geometry(array) | shapely.is_missing(array)
    if not np.all(valid):
        index = int(np.flatnonzero(~valid.ravel())[0])
        bad = array.ravel()[index]
        raise TypeError(
            f"geoms must contain only shapely geometries or None; "
            f"got {type(bad).__name__} at index {index}"
        )
    if key in (WGS84, CGCS2000):
        return array.copy()
    return shapely.transform(array, _coordinate_function(key), include_z=None)


# --------------------------------------------------------------------------- OGC CRS URIs

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
"""WGS84 longitude/latitude: the default CRS of OGC API Features and of GeoJSON."""
_EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
_URI_PATTERNS = (
    re.compile(r"^https?://www\.opengis\.net/def/crs/epsg/0/(\d{1,7})$"),
    re.compile(r"^urn:ogc:def:crs:epsg:[\d.]*:(\d{1,7})$"),
    re.compile(r"^\[?epsg:(\d{1,7})\]?$"),
)
_CRS84_NAMES = {
    CRS84_URI.lower(),
    "https://www.opengis.net/def/crs/ogc/1.3/crs84",
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "[ogc:crs84]",
    "ogc:crs84",
}


def epsg_uri(code: int | None) -> str:
    """The OGC URI of an EPSG code; None is CRS84 (lon/lat)."""
    return CRS84_URI if code is None else _EPSG_URI.format(code=code)


def parse_crs_uri(value: str) -> int | None:
    """The EPSG code an OGC CRS URI (or `urn:ogc:def:crs:EPSG::N`, `[EPSG:N]`) names; None for
    CRS84. ValueError for anything else."""
    key = value.strip().lower()
    if key in _CRS84_NAMES:
        return None
    for pattern in _URI_PATTERNS:
        match = pattern.match(key)
        if match:
            return int(match.group(1))
    raise ValueError(
        f"a CRS must be given as a URI such as {CRS84_URI} or "
        f"{_EPSG_URI.format(code=4490)}; got {value!r}"
    )


@lru_cache(maxsize=64)
def northing_first(code: int | None) -> bool:
    """True when the EPSG CRS's first axis points north or south (EPSG:4326 and 4490 are
    lat/lon, EPSG:4549 is northing/easting); CRS84 (None) is lon/lat."""
    if code is None:
        return False
    crs = _epsg_crs(code)
    if crs is None:
        raise ValueError(f"EPSG:{code} is not known to PROJ")
    return crs.axis_info[0].direction.lower() in ("north", "south")


def wgs84_to_axes(lon: Any, lat: Any, code: int | None) -> tuple[FloatOrArray, FloatOrArray]:
    """WGS84 degrees to the coordinates of EPSG `code` (None: CRS84) in that CRS's own axis
    order: (lat, lon) for EPSG:4326/4490, (northing, easting) for EPSG:4549, (x, y) for CRS84
    and EPSG:3857."""
    x, y = (lon, lat) if code is None else from_wgs84(lon, lat, code)
    return (y, x) if northing_first(code) else (x, y)


def axes_to_wgs84(a: Any, b: Any, code: int | None) -> tuple[FloatOrArray, FloatOrArray]:
    """Coordinates in EPSG `code`'s own axis order (None: CRS84, lon/lat) to WGS84 (lon, lat)."""
    x, y = (b, a) if northing_first(code) else (a, b)
    return (x, y) if code is None else to_wgs84(x, y, code)


def transform_geometries_axes(
    geoms: npt.NDArray[np.object_], code: int | None, *, to_wgs84_from: bool = False
) -> npt.NDArray[np.object_]:
    """Shapely geometries from WGS84 to EPSG `code` in its axis order (or back to WGS84 with
    `to_wgs84_from`); CRS84 (None) leaves them as they are."""
    if code is None:
        return geoms
    convert = axes_to_wgs84 if to_wgs84_from else wgs84_to_axes

    def apply(coords: _Array) -> _Array:
        out = np.array(coords, dtype=np.float64)
        a, b = convert(out[:, 0].copy(), out[:, 1].copy(), code)
        out[:, 0] = a
        out[:, 1] = b
        return out

    return shapely.transform(geoms, apply)
