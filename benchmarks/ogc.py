"""OGC API - Features over a million events, each figure beside the same query run directly in
PostGIS in the same run.

1. load:   the Longyou demo's boundaries and users, and `generate_history(count=1,000,000)` into
           a fresh database (`shuxin_bench_ogc` in the embedded cluster).
2. grids:  GET /ogc/collections/grids/items?limit=1000 (a page of 1,000 grid polygons).
3. bbox:   GET /ogc/collections/events/items?bbox=... (boxes of about 3 x 3 km around random
           grids, 100 a page).
4. filter: GET /ogc/collections/events/items?filter=S_WITHIN(geometry, <a township's polygon>).

Each request is signed in as the demo's `admin` (who sees every event, so every count covers
the million) and is followed, on the same connection to PostGIS, by the reference: the page's
gathering statement (api/paging.py: the matching keys, their count and the page's keys)
and the SELECT of the page's rows, as plain SQL, from Python through psycopg2.

    .venv/bin/python benchmarks/ogc.py [--events N] [--requests N] [--keep]

It exits 0 when it could measure (a missed target is printed as MISSED) and 1 only when it
could not. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import (
    Row,
    create_database,
    percentiles,
    positive,
    print_summary,
    section,
    shuxin_home,
    sign_in,
    start_cluster,
    start_server,
    stop_server,
    wait_for_health,
)

BENCH_DB = "shuxin_bench_ogc"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TOWNSHIP = "330825001"  # 龙洲街道
GRIDS_TARGET_MS = 200.0
BBOX_TARGET_MS = 200.0
FILTER_TARGET_MS = 500.0
POINTS = (50, 95, 99)
BOX_DEGREES = 0.03  # about 3 x 3 km at 29°N


def prepare_database(n_events: int, keep: bool) -> str:
    """The URL of `shuxin_bench_ogc` with the demo and `n_events` history events."""
    from sqlalchemy import create_engine, pool, text
    from sqlalchemy.orm import Session

    from api.demo.history import generate_history
    from api.demo.service import load_demo
    from api.migrate import upgrade

    section(f"1. loading {n_events:,} events into PostGIS")
    cluster = start_cluster()
    url = create_database(cluster, BENCH_DB, drop_first=not keep)
    upgrade(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        present = connection.scalar(text("SELECT count(*) FROM event"))
    if keep and present >= n_events:
        print(f"--keep: {BENCH_DB} already holds {present:,} events")
        return url
    if present:
        engine.dispose()
        url = create_database(cluster, BENCH_DB, drop_first=True)
        upgrade(url)
        engine = create_engine(url, poolclass=pool.NullPool)
    started = time.perf_counter()
    with Session(engine) as session:
        load_demo(session=session, events=0)
        session.commit()
        made = generate_history(session=session, count=n_events, now=datetime.now(SHANGHAI))
        session.commit()
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    print(f"{made:,} events loaded in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    return url


EVENT_ROWS = "SELECT * FROM event WHERE id = ANY(:keys) ORDER BY id"
"""The page's rows, by the keys the gathering statement chose."""


def _gather(matching: str, limit: int) -> str:
    """The statement api.paging runs for a page of few matches: gather the matching keys once,
    count them and take the page's keys (the same SQL, written out)."""
    return (
        f"WITH matched AS MATERIALIZED ({matching}) SELECT (SELECT count(*) FROM matched), "
        f"(SELECT array_agg(k) FROM (SELECT k FROM matched ORDER BY k LIMIT {limit}) AS page)"
    )


def _time(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def bench(
    name: str,
    client,
    connection,
    requests: list[tuple[str, dict]],
    references: list[tuple[str, str, dict]],
    target_ms: float,
    check,
) -> Row:
    """Time each request (and its reference SQL right after it, on PostGIS directly)."""
    from sqlalchemy import text

    api_ms, sql_ms = [], []
    for i, ((path, params), (page_sql, count_sql, sql_params)) in enumerate(
        zip(requests, references, strict=True)
    ):
        elapsed, answer = _time(lambda p=path, q=params: client.get(p, params=q))
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:300]}")

        def direct(gather=page_sql, fetch=count_sql, values=sql_params):
            matched, keys = connection.execute(text(gather), values).one()
            rows = connection.execute(text(fetch), {"keys": list(keys or [])}).all()
            return rows, matched

        reference_ms, (rows, matched) = _time(direct)
        if i < 3:  # the warm-up: checked, not counted
            check(answer.json(), rows, matched)
            continue
        api_ms.append(elapsed)
        sql_ms.append(reference_ms)
        check(answer.json(), rows, matched)
    api = percentiles(api_ms, POINTS)
    sql = percentiles(sql_ms, POINTS)
    print(
        f"{name}: API p50 {api['p50']:.1f} ms, p95 {api['p95']:.1f} ms, p99 {api['p99']:.1f} ms; "
        f"PostGIS directly p50 {sql['p50']:.1f} ms, p95 {sql['p95']:.1f} ms "
        f"({len(api_ms)} requests)"
    )
    return Row(
        name,
        f"p95 {api['p95']:.0f} ms (p50 {api['p50']:.0f})",
        f"PostGIS p95 {sql['p95']:.0f} ms (p50 {sql['p50']:.0f})",
        f"p95 < {target_ms:.0f} ms",
        api["p95"] < target_ms,
    )


def run(url: str, base: str, n: int) -> list[Row]:
    import httpx
    import shapely
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"options": "-c jit=off"})  # as the API pages
    token = sign_in(base, "admin")
    headers = {"Authorization": f"Bearer {token}"}
    rng = np.random.default_rng(20261210)
    rows: list[Row] = []
    with (
        engine.connect() as connection,
        httpx.Client(base_url=base, headers=headers, timeout=60) as client,
    ):
        set_id, x0, y0, x1, y1 = connection.execute(
            text(
                "SELECT s.id, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM boundary_set s, "
                "LATERAL (SELECT ST_Extent(geom) e FROM area WHERE set_id = s.id) x "
                "WHERE s.is_active"
            )
        ).one()
        events = connection.execute(text("SELECT count(*) FROM event")).scalar_one()
        print(f"{events:,} events; the active set spans {x0:.3f},{y0:.3f} - {x1:.3f},{y1:.3f}")

        section("2. a page of 1,000 grids")
        grid_sql = _gather("SELECT code AS k FROM area WHERE set_id = :s AND level = 'grid'", 1001)
        grid_count = (
            "SELECT code, name, level, parent_code, area_m2, ST_AsGeoJSON(geom) FROM area "
            "WHERE set_id = (SELECT id FROM boundary_set WHERE is_active) AND code = ANY(:keys) "
            "ORDER BY code"
        )

        def check_grids(answer, page, matched):
            assert answer["numberReturned"] == 1000 and answer["numberMatched"] == matched
            assert [f["id"] for f in answer["features"]] == [r[0] for r in page[:1000]]

        requests = [("/ogc/collections/grids/items", {"limit": 1000})] * (n + 3)
        references = [(grid_sql, grid_count, {"s": set_id})] * (n + 3)
        rows.append(
            bench("grids: 1,000 a page", client, connection, requests, references,
                  GRIDS_TARGET_MS, check_grids)
        )  # fmt: skip

        section("3. events in a box (1,000,000 events, 100 a page)")
        centres = connection.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM area "
                "WHERE set_id = :s AND level = 'grid'"
            ),
            {"s": set_id},
        ).all()
        half = BOX_DEGREES / 2
        boxes = [
            (cx - half, cy - half, cx + half, cy + half)
            for cx, cy in (centres[i] for i in rng.integers(0, len(centres), n + 3))
        ]  # boxes around grids: where events are
        box_sql = _gather(
            "SELECT id AS k FROM event WHERE ST_Intersects(location, "
            "ST_MakeEnvelope(:a, :b, :c, :d, 4326))",
            101,
        )
        box_count = EVENT_ROWS

        def check_page(answer, page, matched):
            assert answer["numberMatched"] == matched, (answer["numberMatched"], matched)
            assert [f["id"] for f in answer["features"]] == [r[0] for r in page[:100]]

        requests = [
            ("/ogc/collections/events/items", {"bbox": ",".join(f"{v:.5f}" for v in b)})
            for b in boxes
        ]
        references = [
            (box_sql, box_count, dict(zip("abcd", (round(v, 5) for v in b), strict=True)))
            for b in boxes
        ]
        rows.append(
            bench("events: bbox, 100 a page", client, connection, requests, references,
                  BBOX_TARGET_MS, check_page)
        )  # fmt: skip
        matched = connection.execute(text(box_sql), references[0][2]).one()[0]
        print(f"  (the first box holds {matched:,} events)")

        section("4. CQL2: events within a township's polygon")
        wkb = connection.execute(
            text("SELECT ST_AsBinary(geom) FROM area WHERE set_id = :s AND code = :c"),
            {"s": set_id, "c": TOWNSHIP},
        ).scalar_one()
        polygon = shapely.from_wkb(bytes(wkb))
        tolerance = 0.00002
        wkt = shapely.to_wkt(polygon, rounding_precision=6)
        while len(wkt) > 40_000:  # a URL the HTTP server takes (it refuses some 64 kB)
            polygon = polygon.simplify(tolerance)
            wkt = shapely.to_wkt(polygon, rounding_precision=6)
            tolerance *= 2
        vertices = shapely.get_num_coordinates(polygon)
        within_sql = _gather(
            "SELECT id AS k FROM event WHERE ST_Within(location, ST_GeomFromText(:w, 4326))", 101
        )
        within_count = EVENT_ROWS
        requests = [("/ogc/collections/events/items", {"filter": f"S_WITHIN(geometry, {wkt})"})] * (
            n + 3
        )
        references = [(within_sql, within_count, {"w": wkt})] * (n + 3)
        rows.append(
            bench("events: S_WITHIN(township)", client, connection, requests, references,
                  FILTER_TARGET_MS, check_page)
        )  # fmt: skip
        matched = connection.execute(text(within_sql), {"w": wkt}).one()[0]
        print(f"  (the township polygon has {vertices:,} vertices and holds {matched:,} events)")
    engine.dispose()
    return rows


def _wait_for_index(base: str) -> None:
    """Wait until the server has loaded the screen's index (it competes for the CPU before)."""
    import httpx

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if httpx.get(f"{base}/health", timeout=10).json().get("screen_index") == "ready":
            return
        time.sleep(0.5)
    raise RuntimeError("the screen index did not load within 10 minutes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=positive, default=1_000_000)
    parser.add_argument("--requests", type=positive, default=100, help="timed requests each")
    parser.add_argument(
        "--keep", action="store_true", help=f"reuse {BENCH_DB} when it holds the events; keep it"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(
        f"Shuxin OGC API benchmark: python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    rows: list[Row] = []
    failures: list[str] = []
    process = None
    log_path = Path(tempfile.gettempdir()) / f"shuxin-bench-ogc-{os.getpid()}.log"
    made = False
    try:
        url = prepare_database(args.events, args.keep)
        made = True
        process, base = start_server(url, log_path, {"SHUXIN_SWEEP_INTERVAL_S": "0"})
        wait_for_health(process, base, log_path)
        _wait_for_index(base)
        rows += run(url, base, args.requests)
    except Exception as exc:  # noqa: BLE001 - report and go on to the summary
        failures.append(f"{type(exc).__name__}: {exc}")
        print(f"ERROR: {failures[-1]}", file=sys.stderr)
    finally:
        if process is not None:
            stop_server(process)
            print(f"\nserver stopped; its log: {log_path}")
        if made and not args.keep:
            from api.embedded_pg import EmbeddedPostgres

            EmbeddedPostgres(shuxin_home()).drop_database(BENCH_DB)
            print(f"database {BENCH_DB} dropped (--keep leaves it in place)")
    return print_summary(rows, failures, started)


if __name__ == "__main__":
    sys.exit(main())
