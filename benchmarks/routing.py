"""Routing throughput and event-intake latency, each figure printed beside its reference.

1. bulk:  GridRouter.route_many against a bare shapely STRtree query, on the same points and
          the same synthetic grid polygons, timed alternately; the engine's chosen grid is
          checked against the reference's lowest-index hit for every point.
2. http:  POST /api/v1/events over HTTP against `shuxin serve` on a fresh PostGIS database
          (`shuxin_bench` in the embedded cluster), beside GET /health on the same connection.

    .venv/bin/python benchmarks/routing.py [--points N] [--polygons N] [--requests N]
                                           [--repeats N] [--skip-bulk] [--skip-http]

It always exits 0 when it could measure (a missed target is a result, printed as MISSED);
it exits 1 only when it could not measure (the server did not start, a request failed ...).
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks`, `api`, `gis`
from benchmarks.common import (
    Row,
    fresh_database,
    percentiles,
    positive,
    print_summary,
    section,
    sign_in,
    start_server,
    stop_server,
    verdict,
    wait_for_health,
)

BENCH_DB = "shuxin_bench"

# The synthetic grid: a box of about 40 x 30 km around Longyou (119.17E, 29.03N).
CENTRE_LON, CENTRE_LAT = 119.17, 29.03
WIDTH_KM, HEIGHT_KM = 40.0, 30.0
OUTSIDE_MARGIN = 0.02  # points are drawn over a box 2% wider and taller on each side
TARGET_VERTICES = 48  # segmentize each cell's edges to about this many pieces

BULK_RATIO_TARGET = 0.8
POST_P50_TARGET_MS = 5.0
WARMUP_REQUESTS = 200


# --- helpers ------------------------------------------------------------------------------------


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} pts/s"


# --- 1. bulk routing ----------------------------------------------------------------------------


def synthetic_grid(n_polygons: int, rng: np.random.Generator):
    """`n_polygons` Voronoi cells of random seeds, clipped to the box, ~50 vertices each."""
    import shapely

    half_w = WIDTH_KM / 2 / (111.32 * np.cos(np.radians(CENTRE_LAT)))
    half_h = HEIGHT_KM / 2 / 110.57
    bounds = (CENTRE_LON - half_w, CENTRE_LAT - half_h, CENTRE_LON + half_w, CENTRE_LAT + half_h)
    box = shapely.box(*bounds)
    seeds = np.column_stack(
        [
            rng.uniform(bounds[0], bounds[2], n_polygons),
            rng.uniform(bounds[1], bounds[3], n_polygons),
        ]
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    cells = shapely.intersection(cells, box)
    cells = cells[shapely.get_type_id(cells) == 3]  # Polygon (a clip never splits a convex cell)
    corners = np.unique(shapely.get_coordinates(cells), axis=0)  # each shared by 2-3 cells
    cells = shapely.segmentize(cells, shapely.length(cells) / TARGET_VERTICES)
    return np.asarray(cells, dtype=object), bounds, corners


def bench_bulk(n_points: int, n_polygons: int, repeats: int, seed: int) -> list[Row]:
    import shapely
    from shapely import STRtree

    from gis.router import GridRecord, GridRouter, RoutingMethod

    section(f"1. bulk routing: {n_points:,} points, {n_polygons:,} grid polygons")
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    polygons, (x0, y0, x1, y1), corners = synthetic_grid(n_polygons, rng)
    vertices = shapely.get_num_coordinates(polygons)
    mx, my = (x1 - x0) * OUTSIDE_MARGIN, (y1 - y0) * OUTSIDE_MARGIN
    lon = rng.uniform(x0 - mx, x1 + mx, n_points)
    lat = rng.uniform(y0 - my, y1 + my, n_points)
    # Random points almost never fall on a shared edge; put 0.1% of them exactly on cell corners
    # so that the "lowest index wins" rule is exercised (and checked) too.
    on_corner = rng.choice(n_points, size=min(n_points // 1000, len(corners)), replace=False)
    picked = corners[rng.choice(len(corners), size=len(on_corner), replace=False)]
    lon[on_corner], lat[on_corner] = picked[:, 0], picked[:, 1]
    print(
        f"grid: {len(polygons):,} Voronoi cells in {x0:.4f},{y0:.4f},{x1:.4f},{y1:.4f} "
        f"({WIDTH_KM:.0f} x {HEIGHT_KM:.0f} km); vertices per polygon min "
        f"{vertices.min()}, median {np.median(vertices):.0f}, max {vertices.max()}"
    )
    print(
        f"points: {n_points:,} uniform over the box widened by {OUTSIDE_MARGIN:.0%} "
        f"on each side (some fall outside every polygon), {len(on_corner):,} of them moved "
        "onto cell corners shared by 2-3 polygons"
    )

    # Codes in input order, zero-padded: the router's code order is the input order.
    width = len(str(len(polygons)))
    grids = [
        GridRecord(code=f"{i + 1:0{width}d}", name=f"grid {i + 1}") for i in range(len(polygons))
    ]
    router = GridRouter(grids=grids, geometries=polygons, tolerance_m=50)
    # The router prepares the polygons in place (shapely.prepare): the reference tree is built
    # on the same, prepared, objects, so both query the same geometries the same way.
    tree = STRtree(polygons)
    # Untimed warm-up: a point 10 m outside the box builds the router's lazy metric index (used
    # for `nearest`, built on first need like a cache); then both warm their caches.
    router.route_many(np.array([x0 - 1e-4]), np.array([(y0 + y1) / 2]))
    warm = slice(0, min(n_points, 20_000))
    router.route_many(lon[warm], lat[warm])
    tree.query(shapely.points(lon[warm], lat[warm]), predicate="intersects")
    print(f"set-up (grid, points, router, tree): {time.perf_counter() - started:.1f} s")

    def engine():
        return router.route_many(lon, lat)

    def reference():
        return tree.query(shapely.points(lon, lat), predicate="intersects")

    times: dict[str, list[float]] = {"engine": [], "reference": []}
    outputs: dict[str, object] = {}
    runs = {"engine": engine, "reference": reference}
    print(f"timing {repeats} rounds, alternating which goes first:")
    for round_ in range(repeats):
        order = ("engine", "reference") if round_ % 2 == 0 else ("reference", "engine")
        for name in order:
            outputs.pop(name, None)
            gc.collect()
            t0 = time.perf_counter()
            outputs[name] = runs[name]()
            times[name].append(time.perf_counter() - t0)
        e, r = times["engine"][-1], times["reference"][-1]
        print(
            f"  round {round_ + 1}: engine {e:6.3f} s ({_rate(n_points, e):>17})   "
            f"reference {r:6.3f} s ({_rate(n_points, r):>17})   ratio {r / e:.2f}"
        )

    engine_s, reference_s = median(times["engine"]), median(times["reference"])
    ratio = reference_s / engine_s  # engine rate / reference rate
    paired = median([r / e for e, r in zip(times["engine"], times["reference"], strict=True)])
    print(f"median engine    {engine_s:.3f} s = {_rate(n_points, engine_s)}")
    print(f"median reference {reference_s:.3f} s = {_rate(n_points, reference_s)}")
    print(
        f"ratio engine/reference (rates): {ratio:.2f} (median of per-round ratios {paired:.2f});"
        f" target >= {BULK_RATIO_TARGET}: {verdict(ratio >= BULK_RATIO_TARGET)}"
    )

    # Correctness, on the outputs of the last round.
    batch = outputs["engine"]
    hit_point, hit_grid = outputs["reference"]
    lowest = np.full(n_points, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(lowest, hit_point, hit_grid)
    hit_count = np.bincount(hit_point, minlength=n_points)
    found = hit_count > 0
    input_index = np.array([int(code) - 1 for code in router.codes], dtype=np.int64)
    chosen = np.where(batch.grid_index >= 0, input_index[np.maximum(batch.grid_index, 0)], -1)
    methods = list(RoutingMethod)
    inside = methods.index(RoutingMethod.inside)
    border = methods.index(RoutingMethod.border)
    covered = (batch.method == inside) | (batch.method == border)
    wrong_grid = int(np.count_nonzero(chosen[found] != lowest[found]))
    wrong_method = int(np.count_nonzero(~covered[found])) + int(np.count_nonzero(covered[~found]))
    wrong_count = int(np.count_nonzero(batch.candidate_count[found] != hit_count[found]))
    mismatches = wrong_grid + wrong_method + wrong_count
    tally = Counter(batch.methods().tolist())
    print(
        f"correctness: {int(found.sum()):,} points inside some polygon per the reference; "
        f"engine grid != lowest-index hit: {wrong_grid}; method disagrees with the "
        f"reference: {wrong_method}; candidate count differs: {wrong_count}"
    )
    print("engine methods: " + ", ".join(f"{m} {tally.get(m.value, 0):,}" for m in methods))

    return [
        Row(
            "bulk routing rate, engine / bare STRtree",
            f"{_rate(n_points, engine_s)} ({ratio:.2f}x)",
            _rate(n_points, reference_s),
            f"ratio >= {BULK_RATIO_TARGET}",
            ratio >= BULK_RATIO_TARGET,
        ),
        Row(
            "bulk routing: grid = lowest-index hit",
            f"{mismatches} mismatches",
            f"{int(found.sum()):,} points hit",
            "0 mismatches",
            mismatches == 0,
        ),
    ]


# --- 2. HTTP intake latency ---------------------------------------------------------------------


def prepare_database() -> tuple[str, dict]:
    """(url, facts) of a fresh, migrated `shuxin_bench` with the catalog and demo boundaries."""
    from sqlalchemy import create_engine, pool, select
    from sqlalchemy.orm import Session

    from api.categories.models import Category
    from api.demo.service import load_demo
    from gis.boundaries import build_router

    started = time.perf_counter()
    url = fresh_database(BENCH_DB)
    engine = create_engine(url, poolclass=pool.NullPool)
    with Session(engine) as session:
        load_demo(session=session, events=0)
        session.commit()
        router = build_router(session, tolerance_m=50)
        categories = session.execute(
            select(Category.code, Category.urgencies)
            .where(Category.active, Category.parent_code.is_not(None))
            .order_by(Category.code)
        ).all()
    engine.dispose()
    if router is None or not len(router):
        raise RuntimeError("the demo boundary set did not load: no active set with grids")
    print(
        f"database {BENCH_DB} dropped, created, migrated, demo boundaries loaded "
        f"({len(router)} grids, {len(categories)} categories) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return url, {"router": router, "categories": categories}


def _points_in_area(router, count: int, rng: np.random.Generator):
    """`count` uniform random points inside the grids (the demo area)."""
    import shapely

    from gis.router import RoutingMethod

    x0, y0, x1, y1 = shapely.total_bounds(router.geometries)
    lon, lat = np.empty(0), np.empty(0)
    inside = list(RoutingMethod).index(RoutingMethod.inside)
    while len(lon) < count:
        x = rng.uniform(x0, x1, count * 3)
        y = rng.uniform(y0, y1, count * 3)
        keep = router.route_many(x, y).method == inside
        lon, lat = np.r_[lon, x[keep]], np.r_[lat, y[keep]]
    return lon[:count], lat[:count]


TITLES = (
    "路边有暴露垃圾",
    "垃圾桶满溢",
    "路灯不亮",
    "窨井盖缺失",
    "占道经营",
    "车辆乱停堵塞通道",
    "楼道堆放杂物",
    "河道漂浮物多",
    "夜间施工噪音扰民",
    "路面坑洼",
    "电线杆上小广告",
    "邻里因排水沟发生纠纷",
)
PLACES = ("村口", "桥头", "菜市场门口", "小学东侧", "文化礼堂旁", "老街", "公交站旁", "溪边")
SOURCES = ("grid_worker", "citizen", "hotline", "department", "sensor", "county")


def event_bodies(facts: dict, count: int, run: str, rng: np.random.Generator) -> list[bytes]:
    """`count` realistic POST bodies, JSON-encoded: points in the area, rotating categories."""
    lon, lat = _points_in_area(facts["router"], count, rng)
    categories = facts["categories"]
    bodies = []
    for i in range(count):
        code, urgencies = categories[i % len(categories)]
        place, title = PLACES[i % len(PLACES)], TITLES[i % len(TITLES)]
        body = {
            "title": f"{place}{title}",
            "description": f"{place}{title}，现场照片已上传，请尽快派人处理。网格员巡查发现，"
            f"第 {i + 1} 条。" + "附近居民反映较多。" * int(rng.integers(0, 6)),
            "category_code": code,
            "urgency": "normal" if "normal" in (urgencies or ["normal"]) else urgencies[0],
            "source": SOURCES[i % len(SOURCES)],
            "lon": round(float(lon[i]), 6),
            "lat": round(float(lat[i]), 6),
            "crs": "wgs84",
            "address": f"龙游县某路 {int(rng.integers(1, 300))} 号",
            "external_id": f"bench-{run}-{i:06d}",
        }
        if i % 3 == 0:
            body["reporter"] = {"name": "张三", "phone": f"138{int(rng.integers(10**8)):08d}"}
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
    return bodies


def _timed_posts(send, bodies: list[bytes]) -> tuple[list[float], list[float], Counter, Counter]:
    """POST each body and GET /health after it with `send(method, path, body)`, which answers
    (status, parsed JSON or None); (POST ms, /health ms, statuses, routing methods)."""
    post_ms: list[float] = []
    health_ms: list[float] = []
    statuses: Counter = Counter()
    methods: Counter = Counter()
    perf = time.perf_counter
    for body in bodies:
        t0 = perf()
        status, answer = send("POST", "/api/v1/events", body)
        t1 = perf()
        health, _ = send("GET", "/health", None)
        t2 = perf()
        post_ms.append((t1 - t0) * 1000)
        health_ms.append((t2 - t1) * 1000)
        statuses[status] += 1
        if status == 201:
            methods[answer["routing"]["method"]] += 1
        if health != 200:
            statuses[f"health {health}"] += 1
    return post_ms, health_ms, statuses, methods


def bench_http(n_requests: int, seed: int) -> list[Row]:
    import http.client
    import json
    from urllib.parse import urlparse

    import httpx

    section(
        f"2. POST /api/v1/events over HTTP: {n_requests:,} sequential requests per client, "
        "keep-alive"
    )
    url, facts = prepare_database()
    rng = np.random.default_rng(seed)
    run = f"{int(time.time())}"
    bodies = event_bodies(facts, WARMUP_REQUESTS + 2 * n_requests, run, rng)
    log_path = Path(tempfile.gettempdir()) / f"shuxin-bench-server-{os.getpid()}.log"
    started = time.perf_counter()
    process, base = start_server(url, log_path)
    headers = {"content-type": "application/json"}
    results = {}
    try:
        wait_for_health(process, base, log_path)
        print(
            f"server up at {base} (pid {process.pid}, 1 worker) in "
            f"{time.perf_counter() - started:.1f} s; log {log_path}"
        )
        headers["Authorization"] = f"Bearer {sign_in(base, 'admin')}"
        with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
            for body in bodies[:WARMUP_REQUESTS]:
                response = client.post("/api/v1/events", content=body)
                if response.status_code != 201:
                    raise RuntimeError(
                        f"warm-up POST answered {response.status_code}: {response.text[:500]}"
                    )
                client.get("/health")
            print(f"warm-up: {WARMUP_REQUESTS} POSTs (201) and /health")

            def send_httpx(method, path, body):
                response = client.request(method, path, content=body)
                return response.status_code, (response.json() if method == "POST" else None)

            start = WARMUP_REQUESTS
            results["httpx"] = _timed_posts(send_httpx, bodies[start : start + n_requests])
        # The same measurement with Python's own http.client: a leaner client, so that the
        # figure is more the server's and less the client library's.
        where = urlparse(base)
        connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)

        def send_stdlib(method, path, body):
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            return response.status, (json.loads(data) if method == "POST" else None)

        results["http.client"] = _timed_posts(send_stdlib, bodies[start + n_requests :])
        connection.close()
    finally:
        stop_server(process)
    print(
        f"server stopped; database {BENCH_DB} left in place (dropped and re-created on the "
        "next run)"
    )

    rows = []
    print(f"{'ms per request':<40}{'p50':>8}{'p90':>8}{'p99':>8}{'mean':>8}{'max':>8}")
    stats = {}
    for client_name, (post_ms, health_ms, statuses, methods) in results.items():
        bad = {k: v for k, v in statuses.items() if k != 201}
        if bad:
            raise RuntimeError(f"some requests failed: {dict(statuses)}; server log {log_path}")
        post, health = percentiles(post_ms), percentiles(health_ms)
        stats[client_name] = (post, health)
        for name, values in (
            (f"POST /api/v1/events ({client_name})", post),
            (f"GET /health ({client_name}, reference)", health),
        ):
            print(
                f"{name:<40}"
                + "".join(f"{values[k]:8.2f}" for k in ("p50", "p90", "p99", "mean", "max"))
            )
        print(
            f"  answers: {statuses[201]:,} x 201; routing "
            + ", ".join(f"{m} {c:,}" for m, c in methods.most_common())
        )
    post, health = stats["http.client"]
    slow_post, slow_health = stats["httpx"]
    print(
        f"POST p50 is {post['p50'] / health['p50']:.1f}x the /health p50 "
        f"({post['p50'] - health['p50']:.2f} ms above the framework + one-query floor); the "
        f"httpx client adds {slow_post['p50'] - post['p50']:.2f} ms of its own; target p50 < "
        f"{POST_P50_TARGET_MS:g} ms: {verdict(post['p50'] < POST_P50_TARGET_MS)}"
    )
    rows.append(
        Row(
            "POST /api/v1/events p50 (http.client)",
            f"{post['p50']:.2f} ms",
            f"/health p50 {health['p50']:.2f} ms",
            f"< {POST_P50_TARGET_MS:g} ms",
            post["p50"] < POST_P50_TARGET_MS,
        )
    )
    rows.append(
        Row(
            "POST p90 / p99 / mean (http.client)",
            f"{post['p90']:.2f} / {post['p99']:.2f} / {post['mean']:.2f} ms",
            f"/health {health['p90']:.2f} / {health['p99']:.2f} / {health['mean']:.2f} ms",
            "-",
            None,
        )
    )
    rows.append(
        Row(
            "POST /api/v1/events p50 (httpx)",
            f"{slow_post['p50']:.2f} ms",
            f"/health p50 {slow_health['p50']:.2f} ms",
            "-",
            None,
        )
    )
    return rows


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=positive, default=1_000_000)
    parser.add_argument("--polygons", type=positive, default=5_000)
    parser.add_argument("--requests", type=positive, default=2_000)
    parser.add_argument(
        "--repeats",
        type=positive,
        default=5,
        help="timed rounds of the bulk benchmark (default 5)",
    )
    parser.add_argument("--seed", type=int, default=20241126)
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args(argv)

    import shapely

    started = time.perf_counter()
    print(
        f"Shuxin routing benchmarks: python {platform.python_version()}, shapely "
        f"{shapely.__version__} (GEOS {shapely.geos_version_string}), numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    rows: list[Row] = []
    failures: list[str] = []
    if not args.skip_bulk:
        rows += bench_bulk(args.points, args.polygons, args.repeats, args.seed)
    if not args.skip_http:
        try:
            rows += bench_http(args.requests, args.seed)
        except Exception as exc:  # noqa: BLE001 - report and go on to the summary
            failures.append(f"HTTP benchmark could not run: {type(exc).__name__}: {exc}")
            print(f"ERROR: {failures[-1]}", file=sys.stderr)

    return print_summary(rows, failures, started)


if __name__ == "__main__":
    sys.exit(main())
