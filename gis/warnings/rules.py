"""The early-warning rules over event columns (预警分析): surge, hotspot and repeat.

Each rule is a pure function `*_warnings(*, events, now, params) -> list[EarlyWarning]`: it
reads an `EventColumns` (plain numpy arrays, one entry per event), looks at a window ending at
`now` (epoch seconds; an event reported at exactly `now` is inside, one reported at exactly
`now - window_s` is not), and returns the warnings it finds, sorted by key. No database, no
clock: the application feeds the events and stores the warnings, once per `key`.

- surge (异常聚集/激增): too many events of one category in one area in the last `window_s`,
  against the same hour-of-week window of the past weeks in the same area (`SurgeParams`).
- hotspot (热点): open events packed in space within the last `window_s`, clustered across
  area borders (DBSCAN in metres; `HotspotParams`).
- repeat (重复投诉): the same place and category reported again and again within
  `window_s`, closed or not; reports made after an earlier one there was closed are flagged
  (`RepeatParams`).

Parameters are frozen dataclasses with documented defaults, so that a rule file can set them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import pdtrc

from gis.warnings.common import (
    DAY_S,
    HOUR_S,
    WEEK_S,
    EarlyWarning,
    EventColumns,
    LocalMetres,
    Rule,
    check_lon_lat_arrays,
    check_positive,
    dbscan,
    hull_geojson,
    iso_utc,
    split_by,
)


def _hours(seconds: int) -> str:
    """A window length for keys and reasons: "6h", "24h", "30d" (whole days from 3 days), "90m"."""
    if seconds % DAY_S == 0 and seconds >= 3 * DAY_S:
        return f"{seconds // DAY_S}d"
    if seconds % HOUR_S == 0:
        return f"{seconds // HOUR_S}h"
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def _in_window(created: np.ndarray, now: int, window_s: int) -> np.ndarray:
    """Rows reported in (now - window_s, now]."""
    offset = now - created
    return (offset >= 0) & (offset < window_s)


# --- surge --------------------------------------------------------------------------------------


def poisson_upper_tail(count: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """P(X >= count) for X ~ Poisson(expected), element-wise (1 where count <= 0)."""
    count = np.asarray(count, dtype="float64")
    # pdtrc(k, m) is P(X > k): the regularised incomplete gamma, exact in the far tail too.
    return np.where(count <= 0, 1.0, pdtrc(count - 1, np.asarray(expected, dtype="float64")))


@dataclass(frozen=True)
class SurgeParams:
    """When the events of one category in one area are too many for that area (异常聚集/激增).

    The count in the last `window_s` is compared with the same hour-of-week window in each of
    the past `baseline_weeks` weeks (Monday 09:00-15:00 against the past Mondays 09:00-15:00:
    the weekly rhythm of reporting is the baseline's own). The baseline is the mean of those
    weekly counts; history shorter than `baseline_weeks` counts as weeks with no events.

    A window is a surge when all of these hold:
    - at least `min_count` events (so that 1 → 3 is never a surge);
    - at least `min_ratio` times the baseline;
    - a Poisson upper-tail probability P(X >= count | baseline) of at most `max_p_value`.
    The baseline is taken as at least `min_baseline` in the ratio and the test: an area with
    no history is not infinitely surprised by its first few events, and `min_count` with
    `min_baseline` decide when it first warns (5 events against 0.5: p = 1.7e-4, a surge).

    With ~100,000 area × category cells evaluated per tick, `max_p_value` = 1e-3 would let
    one cell in a thousand through by chance alone if the counts were large; the floors keep
    the sparse cells (almost all of them) quiet, and the tick's warnings are idempotent.

    Each cell warns at most once per `key_period_s` (default: `window_s`), periods counted
    from the epoch in UTC: the key is rule/window:area:category:period start.
    """

    window_s: int = 6 * HOUR_S
    baseline_weeks: int = 8
    min_count: int = 5
    min_ratio: float = 3.0
    max_p_value: float = 1e-3
    min_baseline: float = 0.5
    key_period_s: int | None = None

    def __post_init__(self) -> None:
        check_positive(
            window_s=self.window_s,
            baseline_weeks=self.baseline_weeks,
            min_count=self.min_count,
            min_ratio=self.min_ratio,
            max_p_value=self.max_p_value,
            min_baseline=self.min_baseline,
        )
        if self.window_s > WEEK_S:
            raise ValueError(
                f"window_s must be at most a week ({WEEK_S} s) to compare it with the same "
                f"window of past weeks, got {self.window_s}"
            )
        if self.key_period_s is not None:
            check_positive(key_period_s=self.key_period_s)


def surge_warnings(
    *, events: EventColumns, now: int, params: SurgeParams | None = None
) -> list[EarlyWarning]:
    """Surges of one category in one area (events.area × events.category) in the last window.

    Vectorised over all areas × categories: one pass over the rows picks those in the current
    window or in one of the baseline windows, and a bincount gives each cell's counts per week.
    Reads events.id, created, area and category.
    """
    p = params or SurgeParams()
    now = int(now)
    weeks = p.baseline_weeks
    # offset // WEEK_S is the week a row falls in (0: the current window's week), offset % WEEK_S
    # its place in that week relative to now: a row is in window k when k <= weeks and its place
    # is < window_s. Every window has the same length and the same hours of the week.
    offset = now - events.created
    week = offset // WEEK_S
    inside = (offset >= 0) & (week <= weeks) & (offset - week * WEEK_S < p.window_s)
    rows = np.flatnonzero(inside)
    if not len(rows):
        return []
    # Only cells with a row in some window matter: number them among these rows alone.
    cell_key = np.column_stack([events.area[rows], events.category[rows]])
    cells, cell_of_row = np.unique(cell_key, axis=0, return_inverse=True)
    cell_of_row = cell_of_row.ravel()
    week_of_row = week[rows]
    counts = np.bincount(
        cell_of_row * (weeks + 1) + week_of_row, minlength=len(cells) * (weeks + 1)
    ).reshape(len(cells), weeks + 1)
    current = counts[:, 0]
    baseline = counts[:, 1:].mean(axis=1)
    expected = np.maximum(baseline, p.min_baseline)
    candidate = (current >= p.min_count) & (current >= p.min_ratio * expected)
    p_value = np.ones(len(cells))
    p_value[candidate] = poisson_upper_tail(current[candidate], expected[candidate])
    hit = np.flatnonzero(candidate & (p_value <= p.max_p_value))
    if not len(hit):
        return []

    now_rows = rows[week_of_row == 0]
    now_cells = cell_of_row[week_of_row == 0]
    keep = np.isin(now_cells, hit)
    position = np.full(len(cells), -1)
    position[hit] = np.arange(len(hit))
    groups = split_by(position[now_cells[keep]], now_rows[keep], len(hit))

    period = p.key_period_s or p.window_s
    period_start = now - now % period
    label = f"{Rule.surge}/{_hours(p.window_s)}"
    hours = _hours(p.window_s)
    warnings = []
    for h, members in zip(hit, groups, strict=True):
        area, category = int(cells[h, 0]), int(cells[h, 1])
        count, base, pv = int(current[h]), float(baseline[h]), float(p_value[h])
        ratio = count / float(expected[h])
        history = counts[h, 1:][::-1].tolist()  # oldest week first
        members = members[np.lexsort((events.id[members], events.created[members]))]
        warnings.append(
            EarlyWarning(
                rule=Rule.surge,
                key=f"{label}:{area}:{category}:{iso_utc(period_start)}",
                window_start=now - p.window_s,
                window_end=now,
                areas=(area,),
                category=category,
                geometry=None,
                event_ids=tuple(int(i) for i in events.id[members]),
                count=count,
                baseline=round(base, 3),
                score=round(float(-np.log10(max(pv, 1e-300))), 2),
                reason_zh=(
                    f"区域{area}类别{category}近{hours}上报{count}件，过去{weeks}周同时段"
                    f"平均{base:.1f}件（{ratio:.1f}倍，p={pv:.1e}）"
                ),
                reason_en=(
                    f"area {area}, category {category}: {count} events in the last {hours}, "
                    f"against {base:.1f} on average in the same hours of the past {weeks} "
                    f"weeks ({ratio:.1f}x, p={pv:.1e})"
                ),
                evidence={
                    "count": count,
                    "baseline": round(base, 3),
                    "expected": round(float(expected[h]), 3),
                    "ratio": round(ratio, 2),
                    "p_value": pv,
                    "weekly_counts": history,
                },
            )
        )
    return sorted(warnings, key=lambda w: w.key)


# --- hotspot ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotspotParams:
    """When open events pack together in space and time (热点).

    The events still open and reported in the last `window_s` are clustered with DBSCAN in
    metres (the local projection of `gis.warnings.common`): an event with at least
    `min_samples` events (itself included) within `eps_m` is a core event, core events within
    `eps_m` of each other are one hotspot, and events within `eps_m` of a core event join it.
    Area borders play no part: a hotspot astride two grids is one hotspot touching both.

    The warning's polygon is the convex hull of the hotspot's events buffered by `buffer_m`.
    Its key is rule/window:id of its first event (earliest reported, lowest id on ties): a
    hotspot that grows keeps its key, so it is raised once; when its first event is closed
    or leaves the window, what remains (if still a hotspot) is raised anew.
    """

    window_s: int = 24 * HOUR_S
    eps_m: float = 200.0
    min_samples: int = 5
    buffer_m: float = 50.0

    def __post_init__(self) -> None:
        check_positive(
            window_s=self.window_s,
            eps_m=self.eps_m,
            min_samples=self.min_samples,
            buffer_m=self.buffer_m,
        )


def hotspot_warnings(
    *, events: EventColumns, now: int, params: HotspotParams | None = None
) -> list[EarlyWarning]:
    """Hotspots of open events reported in the last window, as buffered hulls in WGS84.

    Reads events.id, created, area, category, lon, lat and is_open.
    """
    p = params or HotspotParams()
    events.require("hotspot_warnings", "lon", "lat", "is_open")
    now = int(now)
    rows = np.flatnonzero(events.is_open & _in_window(events.created, now, p.window_s))
    if len(rows) < p.min_samples:
        return []
    lon, lat = events.lon[rows], events.lat[rows]
    check_lon_lat_arrays(lon, lat, "events.lon/lat of the open events in the window")
    projection = LocalMetres.around(lon, lat)
    x, y = projection.forward(lon, lat)
    labels = dbscan(np.column_stack([x, y]), eps=p.eps_m, min_samples=p.min_samples)
    clustered = labels >= 0
    if not clustered.any():
        return []
    n_clusters = int(labels.max()) + 1
    groups = split_by(labels[clustered], np.flatnonzero(clustered), n_clusters)

    label = f"{Rule.hotspot}/{_hours(p.window_s)}"
    hours = _hours(p.window_s)
    warnings = []
    for local in groups:
        members = rows[local]
        order = np.lexsort((events.id[members], events.created[members]))
        members, local = members[order], local[order]
        ids = events.id[members]
        areas = tuple(int(a) for a in np.unique(events.area[members]))
        cats, cat_counts = np.unique(events.category[members], return_counts=True)
        cx, cy = float(x[local].mean()), float(y[local].mean())
        radius = float(np.hypot(x[local] - cx, y[local] - cy).max())
        centre_lon, centre_lat = projection.inverse(np.array([cx]), np.array([cy]))
        count = len(members)
        eps = f"{p.eps_m:g}"
        warnings.append(
            EarlyWarning(
                rule=Rule.hotspot,
                key=f"{label}:{int(ids[0])}",
                window_start=now - p.window_s,
                window_end=now,
                areas=areas,
                category=int(cats[np.argmax(cat_counts)]),
                geometry=hull_geojson(
                    x[local], y[local], buffer_m=p.buffer_m, projection=projection
                ),
                event_ids=tuple(int(i) for i in ids),
                count=count,
                baseline=None,
                score=float(count),
                reason_zh=(
                    f"近{hours}有{count}件未办结事件聚集在半径约{radius:.0f}米内"
                    f"（相邻{eps}米，涉及{len(areas)}个区域）"
                ),
                reason_en=(
                    f"{count} open events of the last {hours} packed within about "
                    f"{radius:.0f} m (neighbours within {eps} m; {len(areas)} areas)"
                ),
                evidence={
                    "centre": [round(float(centre_lon[0]), 7), round(float(centre_lat[0]), 7)],
                    "radius_m": round(radius, 1),
                    "categories": {int(c): int(n) for c, n in zip(cats, cat_counts, strict=True)},
                    "first_reported": iso_utc(events.created[members[0]]),
                    "last_reported": iso_utc(events.created[members].max()),
                },
            )
        )
    return sorted(warnings, key=lambda w: w.key)


# --- repeat -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatParams:
    """When the same place is reported again and again for the same category (重复投诉).

    The events of the last `window_s`, open or closed, are clustered per category with DBSCAN
    in metres (`eps_m`, `min_reports` as DBSCAN's min_samples): at least `min_reports` reports
    of one category within `eps_m` of each other make a repeat. A report made after an earlier
    report of the same place was closed is flagged in the evidence (`reported_after_closure`):
    the sign of a case closed without being solved.

    The key is rule/window:category:id of the newest report: every further report at a place
    already warned about raises one more warning (the commander hears that it came back
    again); evaluating again without a new report raises nothing. Reports merged as
    duplicates should be left out by the caller, or one incident counts as a repeat.
    """

    window_s: int = 30 * DAY_S
    eps_m: float = 50.0
    min_reports: int = 3
    buffer_m: float = 25.0

    def __post_init__(self) -> None:
        check_positive(
            window_s=self.window_s,
            eps_m=self.eps_m,
            min_reports=self.min_reports,
            buffer_m=self.buffer_m,
        )


def repeat_warnings(
    *, events: EventColumns, now: int, params: RepeatParams | None = None
) -> list[EarlyWarning]:
    """Places reported repeatedly for one category in the last window, closed or not.

    Reads events.id, created, area, category, lon, lat and closed_at.
    """
    p = params or RepeatParams()
    events.require("repeat_warnings", "lon", "lat", "closed_at")
    now = int(now)
    rows = np.flatnonzero(_in_window(events.created, now, p.window_s))
    if len(rows) < p.min_reports:
        return []
    lon, lat = events.lon[rows], events.lat[rows]
    check_lon_lat_arrays(lon, lat, "events.lon/lat of the events in the window")
    projection = LocalMetres.around(lon, lat)
    x, y = projection.forward(lon, lat)
    # One clustering for every category at once: the category as a third coordinate, spaced
    # by more than eps, so that events of different categories are never neighbours.
    _, category_rank = np.unique(events.category[rows], return_inverse=True)
    separated = category_rank.ravel().astype("float64") * (4.0 * p.eps_m)
    labels = dbscan(np.column_stack([x, y, separated]), eps=p.eps_m, min_samples=p.min_reports)
    clustered = labels >= 0
    if not clustered.any():
        return []
    groups = split_by(labels[clustered], np.flatnonzero(clustered), int(labels.max()) + 1)

    label = f"{Rule.repeat}/{_hours(p.window_s)}"
    days = _hours(p.window_s)
    eps = f"{p.eps_m:g}"
    warnings = []
    for local in groups:
        members = rows[local]
        order = np.lexsort((events.id[members], events.created[members]))
        members, local = members[order], local[order]
        ids = events.id[members]
        created = events.created[members]
        closed = events.closed_at[members]
        # A report is "after closure" when an earlier report here was closed before it came.
        earliest_close_before = np.minimum.accumulate(
            np.r_[np.inf, np.where(np.isnan(closed), np.inf, closed)[:-1]]
        )
        after = created > earliest_close_before
        last_after = float(created[after].max()) if after.any() else -np.inf
        closed_before = np.isfinite(closed) & (closed < last_after)
        category = int(events.category[members[0]])
        count = len(members)
        n_after = int(after.sum())
        newest = int(ids[-1])
        note_zh = f"，其中{n_after}件在此前投诉办结后再次上报（可能未真正解决）" if n_after else ""
        note_en = (
            f"; {n_after} of them came after an earlier report here was closed (closed "
            "without being solved?)"
            if n_after
            else ""
        )
        warnings.append(
            EarlyWarning(
                rule=Rule.repeat,
                key=f"{label}:{category}:{newest}",
                window_start=now - p.window_s,
                window_end=now,
                areas=tuple(int(a) for a in np.unique(events.area[members])),
                category=category,
                geometry=hull_geojson(
                    x[local], y[local], buffer_m=p.buffer_m, projection=projection
                ),
                event_ids=tuple(int(i) for i in ids),
                count=count,
                baseline=None,
                score=float(count),
                reason_zh=f"同一地点（{eps}米内）近{days}同类事件被投诉{count}次{note_zh}",
                reason_en=(
                    f"the same place (within {eps} m) reported {count} times for the same "
                    f"category in the last {days}{note_en}"
                ),
                evidence={
                    "newest_event_id": newest,
                    "reported_after_closure": [int(i) for i in ids[after]],
                    "closed_before": [int(i) for i in ids[closed_before]],
                    "first_reported": iso_utc(created[0]),
                    "last_reported": iso_utc(created[-1]),
                },
            )
        )
    return sorted(warnings, key=lambda w: w.key)
