"""What every early-warning rule shares: the warning it returns, the event columns it reads, the
local metric projection and the density clustering in metres.

Coordinates are WGS84 lon/lat degrees (EPSG:4326) in and out. Distances are computed in a local
equirectangular projection (`LocalMetres`): x = R·cos(lat0)·(lon − lon0), y = R·(lat − lat0),
R = 6,371,008.8 m, with lat0/lon0 the middle of the points at hand. Within ±1° of lat0 (about
±110 km north-south) east-west distances are off by at most tan(lat0)·Δlat: under 1% at 29°N,
so an `eps_m` of 200 m means 198-202 m on the ground; north-south distances are exact to the
sphere. That is plenty for rules that ask "within 50 m / 200 m", and it costs two
multiplications per point (no pyproj call on every tick).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
HOUR_S = 3600
DAY_S = 24 * HOUR_S
WEEK_S = 7 * DAY_S


class Rule(StrEnum):
    """The early-warning rules (预警规则)."""

    surge = "surge"  # 异常聚集/激增
    hotspot = "hotspot"  # 热点
    repeat = "repeat"  # 重复投诉
    keyword = "keyword"  # 敏感词


@dataclass(frozen=True)
class EarlyWarning:
    """One warning a rule raised: what, where, on which evidence, and why, in plain data.

    `key` is the idempotency key (rule × area or place × window): evaluating the same rule
    again over the same situation gives the same key, so the application stores each warning
    once (a unique index on `key`) however often the rules run. Each rule's docstring says
    how its key is formed.

    `areas` are the area codes the warning concerns (one for surge, every area a hotspot's
    events fall in); `geometry` is a GeoJSON-like Polygon in WGS84 (hotspot, repeat) or None.
    `score` is the rule's own strength (surge: −log10 of the Poisson tail probability;
    hotspot and repeat: the number of events; keyword: the number of words matched).
    `evidence` holds the rule's figures (counts, baseline, p-value, which events were reported
    after another was closed, which words matched where ...) as JSON-ready values.
    """

    rule: Rule
    key: str
    window_start: int  # epoch seconds: the window the rule looked at
    window_end: int
    areas: tuple[int, ...]
    category: int | None
    geometry: dict[str, Any] | None
    event_ids: tuple[int, ...]
    count: int
    baseline: float | None
    score: float
    reason_zh: str
    reason_en: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _column(value: Any, name: str, dtype: str, n: int | None) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"events.{name} must be a 1-D array, got shape {array.shape}")
    if n is not None and len(array) != n:
        raise ValueError(
            f"events.{name} has {len(array)} values but events.id has {n}: every column "
            "must have one value per event"
        )
    if dtype == "int64" and array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"events.{name} must be whole numbers, got NaN or infinity")
        if (array != np.round(array)).any():
            raise ValueError(f"events.{name} must be whole numbers, got fractions")
    return array.astype(dtype, copy=False)


@dataclass(frozen=True)
class EventColumns:
    """The events a rule reads, as parallel numpy arrays (one entry per event).

    - id: the event id (int64);
    - created: when it was reported, epoch seconds (int64);
    - area: its area code as an integer (a 15-digit grid code fits an int64), at the level
      the caller wants the rules to work at (grid, village ...);
    - category: its category as an integer label (the caller's encoding of the 小类 code);
    - lon, lat: WGS84 degrees (float64; needed by hotspot and repeat);
    - is_open: True while the event is not closed (bool; needed by hotspot);
    - closed_at: when it was closed, epoch seconds, NaN while it is not (float64; needed by
      repeat, which flags reports made after an earlier one at the same place was closed).

    The application builds one of these from its query and hands it to every rule. Columns a
    rule does not read may be left out (None); a rule that needs one says so.
    """

    id: np.ndarray
    created: np.ndarray
    area: np.ndarray
    category: np.ndarray
    lon: np.ndarray | None = None
    lat: np.ndarray | None = None
    is_open: np.ndarray | None = None
    closed_at: np.ndarray | None = None

    def __post_init__(self) -> None:
        ids = _column(self.id, "id", "int64", None)
        object.__setattr__(self, "id", ids)
        n = len(ids)
        for name, dtype in (("created", "int64"), ("area", "int64"), ("category", "int64")):
            object.__setattr__(self, name, _column(getattr(self, name), name, dtype, n))
        for name, dtype in (
            ("lon", "float64"),
            ("lat", "float64"),
            ("is_open", "bool"),
            ("closed_at", "float64"),
        ):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _column(value, name, dtype, n))

    def __len__(self) -> int:
        return len(self.id)

    def require(self, rule: str, *names: str) -> None:
        """Raise ValueError naming the columns `rule` needs that were left out."""
        missing = [name for name in names if getattr(self, name) is None]
        if missing:
            raise ValueError(
                f"{rule} needs events.{', events.'.join(missing)}; pass them to EventColumns"
            )


# --- small shared helpers -----------------------------------------------------------------------


def check_positive(**values: float) -> None:
    """Raise ValueError with the name of the first value that is not > 0."""
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")


def iso_utc(epoch_s: int | float) -> str:
    """An epoch second as an ISO 8601 UTC timestamp (seconds), for keys and evidence."""
    return datetime.fromtimestamp(int(epoch_s), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def split_by(labels: np.ndarray, rows: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """`rows` grouped by `labels` (ints in [0, n_groups)), each group in the order of `rows`."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n_groups + 1))
    sorted_rows = rows[order]
    return [sorted_rows[bounds[g] : bounds[g + 1]] for g in range(n_groups)]


@dataclass(frozen=True)
class LocalMetres:
    """A local equirectangular projection (metres) about (lon0, lat0); see the module docstring."""

    lon0: float
    lat0: float

    @classmethod
    def around(cls, lon: np.ndarray, lat: np.ndarray) -> LocalMetres:
        """The projection centred on the middle of the points' bounding box."""
        if not len(lon):
            return cls(0.0, 0.0)
        return cls(float((np.min(lon) + np.max(lon)) / 2), float((np.min(lat) + np.max(lat)) / 2))

    @property
    def _kx(self) -> float:
        return EARTH_RADIUS_M * math.cos(math.radians(self.lat0)) * math.pi / 180.0

    def forward(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 degrees to metres east and north of (lon0, lat0)."""
        ky = EARTH_RADIUS_M * math.pi / 180.0
        return (np.asarray(lon) - self.lon0) * self._kx, (np.asarray(lat) - self.lat0) * ky

    def inverse(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metres east and north of (lon0, lat0) to WGS84 degrees."""
        ky = EARTH_RADIUS_M * math.pi / 180.0
        return np.asarray(x) / self._kx + self.lon0, np.asarray(y) / ky + self.lat0

    def polygon_geojson(self, geometry: shapely.Geometry) -> dict[str, Any]:
        """A polygon in these metres as a GeoJSON-like WGS84 Polygon, to 7 decimals (~1 cm)."""
        exterior = np.asarray(geometry.exterior.coords)
        lon, lat = self.inverse(exterior[:, 0], exterior[:, 1])
        ring = np.round(np.column_stack([lon, lat]), 7).tolist()
        return {"type": "Polygon", "coordinates": [ring]}


def check_lon_lat_arrays(lon: np.ndarray, lat: np.ndarray, what: str) -> None:
    """Raise ValueError if any lon/lat is not a finite WGS84 coordinate, saying which row."""
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        hint = "; are lon and lat swapped?" if abs(lat[i]) > 90 >= abs(lon[i]) else ""
        raise ValueError(
            f"{what} must hold finite WGS84 lon/lat; row {i} has lon={lon[i]:g}, "
            f"lat={lat[i]:g}{hint} (leave events without a location out)"
        )


def dbscan(points: np.ndarray, *, eps: float, min_samples: int) -> np.ndarray:
    """DBSCAN labels (0, 1, ... per cluster; −1 for noise) of `points` (n × d, metres).

    The textbook rule (Ester et al. 1996, as scikit-learn implements it): a point is a core
    point when at least `min_samples` points, itself included, lie within `eps` (distance
    <= eps); core points within `eps` of each other share a cluster; a non-core point within
    `eps` of a core point joins the cluster of its nearest core point (scikit-learn takes
    the first one it meets: the nearest makes the answer independent of input order).
    Clusters are numbered by their lowest point index.

    A KD-tree finds the pairs within `eps` and the connected components of the core-core
    pairs are the clusters: both in scipy, O(n log n + pairs).
    """
    n = len(points)
    labels = np.full(n, -1, dtype="int64")
    if n == 0:
        return labels
    pairs = cKDTree(points).query_pairs(eps, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    neighbours = 1 + np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    core = neighbours >= min_samples
    if not core.any():
        return labels
    both = core[i] & core[j]
    graph = coo_matrix((np.ones(int(both.sum()), dtype="int8"), (i[both], j[both])), (n, n))
    _, component = connected_components(graph, directed=False)
    labels[core] = component[core]

    # Border points: non-core points with a core neighbour take the nearest core's cluster.
    one = core[i] ^ core[j]
    if one.any():
        border = np.where(core[i[one]], j[one], i[one])
        anchor = np.where(core[i[one]], i[one], j[one])
        gap = np.linalg.norm(points[border] - points[anchor], axis=1)
        order = np.lexsort((anchor, gap, border))  # per border point: nearest, then lowest index
        border, anchor = border[order], anchor[order]
        first = np.r_[True, border[1:] != border[:-1]]
        labels[border[first]] = labels[anchor[first]]

    # Renumber 0..k-1 by each cluster's lowest point index (components are numbered over all
    # points, noise included).
    clustered = np.flatnonzero(labels >= 0)
    _, first_index, inverse = np.unique(labels[clustered], return_index=True, return_inverse=True)
    rank = np.empty(len(first_index), dtype="int64")
    rank[np.argsort(first_index, kind="stable")] = np.arange(len(first_index))
    labels[clustered] = rank[inverse]
    return labels


def hull_geojson(
    x: np.ndarray, y: np.ndarray, *, buffer_m: float, projection: LocalMetres
) -> dict[str, Any]:
    """The convex hull of points (metres) buffered by `buffer_m`, as a WGS84 GeoJSON Polygon.

    The buffer makes a polygon of one point or a line of points too, and leaves room around
    the outermost events, which sit on the hull's edge.
    """
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([x, y])))
    return projection.polygon_geojson(shapely.buffer(hull, buffer_m, quad_segs=4))
