"""The early-warning rules and the duplicate check on a year of synthetic events, each figure
printed beside a reference measured in the same run.

1. tick:       surge + hotspot + repeat + keywords over 1,000,000 events of a year (10,000 of
               them open), each rule timed, beside a plain numpy bincount of the same rows by
               area x category (the floor of counting them) and, for the keywords, a compiled
               regex alternation over the same texts.
2. duplicates: DuplicateChecker.find for one new report against every event of the last 72 h,
               beside the bare distance filter (numpy, the same arrays).

    PYTHONPATH=. .venv/bin/python benchmarks/warnings_rules.py [--events N] [--open N]
                                                               [--repeats N] [--reports N]

No database. It exits 0 when it could measure (a missed target is a result, printed as MISSED).
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks`, `gis`
from benchmarks.common import Row, percentiles, positive, print_summary, section, verdict

# A box of about 40 x 30 km around Longyou (119.17E, 29.03N), as in routing.py.
CENTRE_LON, CENTRE_LAT = 119.17, 29.03
WIDTH_KM, HEIGHT_KM = 40.0, 30.0
N_GRIDS = 1_300
N_CATEGORIES = 80
NOW = 1_795_705_200  # 2026-11-26T15:00:00Z
DAY = 86_400
YEAR = 365 * DAY

TICK_TARGET_S = 1.0
DUPLICATE_P50_TARGET_MS = 5.0

# Planted signals, so that every rule has something to find and its answer can be checked.
PLANTED_SURGES = 10  # area x category cells with 8 extra events in the last 6 h
PLANTED_HOTSPOTS = 5  # 8 open events within ~60 m in the last 24 h
PLANTED_REPEATS = 20  # 4 reports of one category at one spot over 30 days, 2 closed
KEYWORD_SHARE = 0.005  # of the open events' descriptions carry a keyword

ISSUES = [
    ("垃圾桶满溢", "垃圾桶满了，垃圾溢出来堆在地上"), ("占道经营", "水果摊把摊位摆到了人行道上"),
    ("井盖缺失", "窨井盖不见了，很危险"), ("路灯不亮", "路灯坏了，晚上一片漆黑"),
    ("乱停车", "电动车乱停乱放，把盲道都占了"), ("施工扰民", "工地晚上十一点还在施工，噪音很大"),
    ("小广告", "墙上和电线杆上贴满了办证小广告"), ("路面积水", "一下雨就积水，车辆没法通行"),
    ("飞线充电", "有人从楼上拉电线下来给电动车充电"),
    ("邻里纠纷", "楼上卫生间漏水到楼下，双方协商不成"),
]  # fmt: skip
PLACES = ["荣昌路与太平路交叉口", "阳光花园5幢楼下", "东门菜场东门", "兴龙路88号门口",
          "下埠头村3组村口", "人民广场北侧", "城北小区12号楼", "灵山江通驷桥段"]  # fmt: skip
ALARMS = ["有人溺水", "闻到燃气泄漏的味道", "三楼起火了", "墙体坍塌", "有群体聚集准备上访"]


def timed(function: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    t0 = time.perf_counter()
    out = function()
    return time.perf_counter() - t0, out


# --- synthetic data -----------------------------------------------------------------------------


class World:
    """A year of events: columns for the rules, texts for the open ones and the last 72 h."""

    def __init__(self, n_events: int, n_open: int, seed: int) -> None:
        from gis.warnings.common import EventColumns

        rng = np.random.default_rng(seed)
        half_w = WIDTH_KM / 2 / (111.32 * math.cos(math.radians(CENTRE_LAT)))
        half_h = HEIGHT_KM / 2 / 110.57
        grid_lon = rng.uniform(CENTRE_LON - half_w, CENTRE_LON + half_w, N_GRIDS)
        grid_lat = rng.uniform(CENTRE_LAT - half_h, CENTRE_LAT + half_h, N_GRIDS)
        # 15-digit grid codes: 15 townships x ~20 villages x ~4-5 grids (DOMAIN.md section 2).
        grid_code = np.array(
            [330825_000_000_000 + (1 + i // 87) * 1_000_000 + (1 + i // 4) * 1_000 + 1 + i % 4
             for i in range(N_GRIDS)], dtype="int64",
        )  # fmt: skip
        # Categories by a Zipf-like popularity; grids by a log-normal activity.
        cat_p = 1 / np.arange(1, N_CATEGORIES + 1) ** 1.1
        grid_p = rng.lognormal(0, 0.6, N_GRIDS)
        grid = rng.choice(N_GRIDS, n_events, p=grid_p / grid_p.sum())
        category = rng.choice(N_CATEGORIES, n_events, p=cat_p / cat_p.sum()) + 100
        # Reported over the last year, more by day (08-20 local) than by night.
        day = rng.integers(0, 365, n_events)
        hour_p = np.r_[np.full(8, 0.2), np.full(12, 1.0), np.full(4, 0.4)]
        local_hour = rng.choice(24, n_events, p=hour_p / hour_p.sum())
        created = NOW - YEAR + day * DAY + (local_hour - 8) * 3600 + rng.integers(0, 3600, n_events)
        created = np.minimum(created, NOW)
        metres = rng.normal(0, 300, (n_events, 2))
        lat = grid_lat[grid] + metres[:, 1] / 111_195
        lon = grid_lon[grid] + metres[:, 0] / (111_195 * math.cos(math.radians(CENTRE_LAT)))

        # Open: mostly the recent ones (a backlog decaying over about two weeks).
        age_days = (NOW - created) / DAY
        weight = np.exp(-age_days / 7)
        is_open = np.zeros(n_events, bool)
        is_open[rng.choice(n_events, n_open, replace=False, p=weight / weight.sum())] = True
        handled = np.minimum(created + rng.exponential(2 * DAY, n_events), NOW)
        closed_at = np.where(is_open, np.nan, handled)

        extra = self._plant(rng, grid_code, grid_lon, grid_lat)
        self.planted = extra.pop("planted")
        ids = np.arange(1, n_events + 1, dtype="int64")
        self.events = EventColumns(
            id=np.r_[ids, extra["id"]],
            created=np.r_[created, extra["created"]],
            area=np.r_[grid_code[grid], extra["area"]],
            category=np.r_[category, extra["category"]],
            lon=np.r_[lon, extra["lon"]],
            lat=np.r_[lat, extra["lat"]],
            is_open=np.r_[is_open, extra["is_open"]],
            closed_at=np.r_[closed_at, extra["closed_at"]],
        )
        # Texts: for the open events (the keyword rule's rows) and the last 72 h (duplicates).
        e = self.events
        self.open_rows = np.flatnonzero(e.is_open)
        self.recent_rows = np.flatnonzero(e.created > NOW - 3 * DAY)
        text_rows = np.union1d(self.open_rows, self.recent_rows)
        titles = np.empty(len(e), dtype=object)
        descriptions = np.empty(len(e), dtype=object)
        pick = rng.integers(0, len(ISSUES), len(text_rows))
        place = rng.integers(0, len(PLACES), len(text_rows))
        alarm = rng.random(len(text_rows)) < KEYWORD_SHARE
        for k, row in enumerate(text_rows.tolist()):
            title, body = ISSUES[pick[k]]
            titles[row] = title
            text = f"网格员巡查发现：{PLACES[place[k]]}{body}，已拍照上报。"
            if alarm[k]:
                text += ALARMS[k % len(ALARMS)] + "，情况紧急！"
            descriptions[row] = text
        self.titles, self.descriptions = titles, descriptions
        self.keyword_rows = int(alarm[np.isin(text_rows, self.open_rows)].sum())

    def _plant(self, rng, grid_code, grid_lon, grid_lat) -> dict:
        rows: dict[str, list] = {k: [] for k in
                                 ("id", "created", "area", "category", "lon", "lat", "is_open",
                                  "closed_at")}  # fmt: skip
        next_id = 10_000_001

        def add(created, area, category, lon, lat, is_open=True, closed_at=math.nan):
            nonlocal next_id
            for key, value in (("id", next_id), ("created", created), ("area", area),
                               ("category", category), ("lon", lon), ("lat", lat),
                               ("is_open", is_open), ("closed_at", closed_at)):  # fmt: skip
                rows[key].append(value)
            next_id += 1

        k_lon = 111_195 * math.cos(math.radians(CENTRE_LAT))
        chosen = rng.choice(N_GRIDS, PLANTED_SURGES + PLANTED_HOTSPOTS + PLANTED_REPEATS, False)
        surges, hotspots, repeats = np.split(
            chosen, [PLANTED_SURGES, PLANTED_SURGES + PLANTED_HOTSPOTS]
        )
        for g in surges:
            for _ in range(8):
                add(NOW - int(rng.integers(60, 6 * 3600)), grid_code[g], 150, grid_lon[g],
                    grid_lat[g])  # fmt: skip
        for g in hotspots:
            for _ in range(8):
                dx, dy = rng.normal(0, 30, 2)
                add(NOW - int(rng.integers(60, 20 * 3600)), grid_code[g], 101,
                    grid_lon[g] + dx / k_lon, grid_lat[g] + dy / 111_195)  # fmt: skip
        for g in repeats:
            for j, days in enumerate((27, 19, 11, 2)):
                dx, dy = rng.normal(0, 8, 2)
                closed = j < 2
                created = NOW - days * DAY
                add(created, grid_code[g], 160, grid_lon[g] + dx / k_lon,
                    grid_lat[g] + dy / 111_195, not closed,
                    created + DAY if closed else math.nan)  # fmt: skip
        out = {k: np.asarray(v) for k, v in rows.items()}
        out["planted"] = {
            "surge": {(int(grid_code[g]), 150) for g in surges},
            "hotspot": len(hotspots),
            "repeat": {int(grid_code[g]) for g in repeats},
        }
        return out


# --- 1. one tick --------------------------------------------------------------------------------


def bench_tick(world: World, repeats: int) -> list[Row]:
    from gis.warnings.keywords import KeywordMatcher, keyword_warnings
    from gis.warnings.rules import hotspot_warnings, repeat_warnings, surge_warnings
    from gis.warnings.text import normalise

    e = world.events
    section(f"1. one evaluation tick: {len(e):,} events, {int(e.is_open.sum()):,} open")
    open_cols = type(e)(
        id=e.id[world.open_rows], created=e.created[world.open_rows],
        area=e.area[world.open_rows], category=e.category[world.open_rows],
    )  # fmt: skip
    texts = {
        "title": world.titles[world.open_rows].tolist(),
        "description": world.descriptions[world.open_rows].tolist(),
    }
    matcher = KeywordMatcher()
    words = sorted({normalise(w) for w in matcher.params.words}, key=len, reverse=True)
    alternation = re.compile("|".join(map(re.escape, words)))

    # The reference: the same rows counted by area x category, codes already small ints (the
    # floor of any per-cell count over them), and the same texts searched by a regex.
    _, area_index = np.unique(e.area, return_inverse=True)
    cell = area_index * (int(e.category.max()) + 1) + e.category

    def reference_count():
        return np.bincount(cell)

    def reference_regex():
        return sum(
            1
            for column in texts.values()
            for text in column
            for _ in alternation.finditer(normalise(text or ""))
        )

    runs = {
        "surge": lambda: surge_warnings(events=e, now=NOW),
        "hotspot": lambda: hotspot_warnings(events=e, now=NOW),
        "repeat": lambda: repeat_warnings(events=e, now=NOW),
        "keywords": lambda: keyword_warnings(events=open_cols, texts=texts, matcher=matcher),
        "reference: bincount area x category": reference_count,
        "reference: regex alternation, same texts": reference_regex,
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    outputs: dict[str, object] = {}
    for name, run in runs.items():  # untimed warm-up (imports, caches)
        outputs[name] = run()
    print(f"timing {repeats} rounds (each rule once per round, order rotating):")
    names = list(runs)
    for round_ in range(repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            seconds, outputs[name] = timed(runs[name])
            times[name].append(seconds)
    med = {name: median(values) for name, values in times.items()}
    tick = sum(med[name] for name in ("surge", "hotspot", "repeat", "keywords"))
    for name in names:
        print(f"  {name:42} median {1000 * med[name]:8.1f} ms   "
              f"(rounds: {', '.join(f'{1000 * t:.0f}' for t in times[name])})")  # fmt: skip
    print(f"  {'tick (surge + hotspot + repeat + keywords)':42} {1000 * tick:8.1f} ms; target < "
          f"{TICK_TARGET_S:.0f} s: {verdict(tick < TICK_TARGET_S)}")  # fmt: skip

    # What the rules found, against what was planted.
    surges = outputs["surge"]
    found = {(w.areas[0], w.category) for w in surges}
    planted = world.planted
    hot = outputs["hotspot"]
    repeats_found = {a for w in outputs["repeat"] for a in w.areas if w.category == 160}
    keywords = outputs["keywords"]
    print(f"found: surge {len(surges)} warnings ({len(found & planted['surge'])} of "
          f"{len(planted['surge'])} planted); hotspot {len(hot)} (planted "
          f"{planted['hotspot']}; largest {max((w.count for w in hot), default=0)} events); "
          f"repeat {len(outputs['repeat'])} ({len(repeats_found & planted['repeat'])} of "
          f"{len(planted['repeat'])} planted); keyword {len(keywords)} events "
          f"({world.keyword_rows} planted; regex hits {outputs[names[5]]})")  # fmt: skip
    all_planted = (
        planted["surge"] <= found
        and planted["repeat"] <= repeats_found
        and len(hot) >= planted["hotspot"]
        and len(keywords) >= world.keyword_rows
    )
    return [
        Row("tick: surge", f"{1000 * med['surge']:.0f} ms",
            f"bincount {1000 * med[names[4]]:.0f} ms", "-", None),
        Row("tick: hotspot", f"{1000 * med['hotspot']:.0f} ms", "-", "-", None),
        Row("tick: repeat", f"{1000 * med['repeat']:.0f} ms", "-", "-", None),
        Row("tick: keywords", f"{1000 * med['keywords']:.0f} ms",
            f"regex {1000 * med[names[5]]:.0f} ms", "-", None),
        Row("tick: all four rules", f"{1000 * tick:.0f} ms",
            f"bincount {1000 * med[names[4]]:.0f} ms", f"< {TICK_TARGET_S:.0f} s",
            tick < TICK_TARGET_S),
        Row("tick: planted signals found", "all" if all_planted else "NOT ALL", "-", "all",
            all_planted),
    ]  # fmt: skip


# --- 2. the duplicate check ---------------------------------------------------------------------


def bench_duplicates(world: World, n_reports: int, seed: int) -> list[Row]:
    from gis.warnings.duplicates import Candidates, DuplicateChecker, NewReport

    e = world.events
    rows = world.recent_rows
    section(f"2. duplicate check: one new report against the {len(rows):,} events of the last 72 h")
    candidates = Candidates(
        id=e.id[rows], lon=e.lon[rows], lat=e.lat[rows], created=e.created[rows],
        category=[f"{c:04d}" for c in e.category[rows]],
        title=world.titles[rows].tolist(), description=world.descriptions[rows].tolist(),
    )  # fmt: skip
    checker = DuplicateChecker()
    rng = np.random.default_rng(seed)
    # New reports next to recent events (so that some candidates pass the gates), each a
    # rewording of the event it lands by.
    anchors = rng.choice(len(rows), n_reports)
    reports = []
    for a in anchors.tolist():
        dx, dy = rng.normal(0, 30, 2)
        reports.append(
            NewReport(
                lon=float(candidates.lon[a]) + dx / (111_195 * math.cos(math.radians(CENTRE_LAT))),
                lat=float(candidates.lat[a]) + dy / 111_195,
                created=NOW,
                category=candidates.category[a],
                title="",
                description=f"市民来电反映：{candidates.description[a][8:]}",
            )
        )
    ky = 111_195.0
    lon_all, lat_all = candidates.lon, candidates.lat

    def bare(report: NewReport) -> np.ndarray:
        kx = ky * math.cos(math.radians(report.lat))
        d = np.hypot((lon_all - report.lon) * kx, (lat_all - report.lat) * ky)
        return np.flatnonzero(d <= 100)

    for report in reports[:50]:  # warm-up
        checker.find(report=report, candidates=candidates)
        bare(report)
    engine_ms, reference_ms, gated, found = [], [], [], 0
    for i, report in enumerate(reports):
        pair = [("engine", lambda r=report: checker.find(report=r, candidates=candidates)),
                ("reference", lambda r=report: bare(r))]  # fmt: skip
        for name, run in pair if i % 2 == 0 else pair[::-1]:
            t0 = time.perf_counter()
            out = run()
            ms = 1000 * (time.perf_counter() - t0)
            if name == "engine":
                engine_ms.append(ms)
                found += bool(out)
            else:
                reference_ms.append(ms)
                gated.append(len(out))
    eng, ref = percentiles(engine_ms), percentiles(reference_ms)
    print(
        f"{n_reports:,} new reports, each near a recent event; candidates within 100 m: "
        f"median {np.median(gated):.0f}, max {max(gated)}; a duplicate found for {found:,}"
    )
    for name, stats in (("DuplicateChecker.find", eng), ("bare distance filter", ref)):
        print(f"  {name:24} p50 {stats['p50']:.3f} ms  p90 {stats['p90']:.3f} ms  "
              f"p99 {stats['p99']:.3f} ms  max {stats['max']:.3f} ms")  # fmt: skip
    ok = eng["p50"] < DUPLICATE_P50_TARGET_MS
    print(f"p50 target < {DUPLICATE_P50_TARGET_MS:.0f} ms: {verdict(ok)}")
    return [
        Row("duplicate check p50 (p99)", f"{eng['p50']:.2f} ms ({eng['p99']:.2f})",
            f"distance filter {ref['p50']:.2f} ms ({ref['p99']:.2f})",
            f"p50 < {DUPLICATE_P50_TARGET_MS:.0f} ms", ok),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=positive, default=1_000_000)
    parser.add_argument("--open", type=positive, default=10_000)
    parser.add_argument("--repeats", type=positive, default=5, help="timed ticks (default 5)")
    parser.add_argument(
        "--reports", type=positive, default=2_000, help="new reports timed (default 2,000)"
    )
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args(argv)

    import ahocorasick  # noqa: F401 - the versions printed below
    import scipy

    started = time.perf_counter()
    print(
        f"Shuxin warning-rule benchmarks: python {platform.python_version()}, numpy "
        f"{np.__version__}, scipy {scipy.__version__}, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    seconds, world = timed(lambda: World(args.events, args.open, args.seed))
    print(f"synthetic year: {len(world.events):,} events over {N_GRIDS:,} grids and "
          f"{N_CATEGORIES} categories, {int(world.events.is_open.sum()):,} open, "
          f"{len(world.recent_rows):,} in the last 72 h (made in {seconds:.1f} s)")  # fmt: skip
    rows = bench_tick(world, args.repeats)
    rows += bench_duplicates(world, args.reports, args.seed)
    return print_summary(rows, [], started)


if __name__ == "__main__":
    sys.exit(main())
