"""The deadline sweep over many open events, and workflow actions over HTTP, each figure
printed beside its reference from the same run.

1. sweep: `api.supervision.service.sweep(session, now)` + commit over --events open events
          (default 100,000), each with an assigned task, in two scenarios: a realistic minute
          (5% newly at risk, 2% newly overdue) and a worst case (20% overdue at once). Beside
          it: the floor of finding that work (two index counts over the same table) and of
          writing it (the bare task UPDATE, rolled back); and the sweep of a quiet minute.
2. http:  POST /api/v1/events/{id}/actions/supervise and .../assign as the township commander,
          over HTTP against `shuxin serve`, each beside GET /health on the same connection.

Both use the database `shuxin_bench_workflow` in the embedded cluster, dropped and re-created
at every run and left in place afterwards.

    .venv/bin/python benchmarks/workflow.py [--events N] [--actions N] [--repeats N]
                                            [--skip-sweep] [--skip-http]

It always exits 0 when it could measure (a missed target is a result, printed as MISSED);
it exits 1 only when it could not measure. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks`, `api`
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

BENCH_DB = "shuxin_bench_workflow"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The sweep's moment: a Thursday afternoon; the data is laid out around it.
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
MAIN = "330825001"  # 龙洲街道: the HTTP part acts as its commander, zhs
SWEEP_TARGET_S = 2.0
WARMUP_ACTIONS = 50
BENCH_PREFIX = "bench-wf-"
OPEN_STATES = "('pending','acknowledged','in_progress')"


@dataclass(frozen=True)
class Scenario:
    """Shares of the open tasks, in basis points (1/10,000), by where `NOW` finds them."""

    name: str
    overdue_new: int  # deadline passed, not yet supervised (at risk was reminded before)
    at_risk_new: int  # 80% point passed, deadline not: not yet reminded
    overdue_old: int = 300  # overdue and supervised in earlier minutes
    at_risk_old: int = 1000  # reminded in earlier minutes, deadline still ahead
    # the rest: the 80% point still ahead

    def describe(self) -> str:
        return (
            f"{self.overdue_new / 100:g}% newly overdue, {self.at_risk_new / 100:g}% newly at "
            f"risk; {self.overdue_old / 100:g}% overdue and {self.at_risk_old / 100:g}% at risk "
            "from earlier minutes (already notified); the rest not yet at risk"
        )


REALISTIC = Scenario("realistic", overdue_new=200, at_risk_new=500)
WORST = Scenario("worst case", overdue_new=2000, at_risk_new=500)


# --- helpers ------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


# --- the bench database -------------------------------------------------------------------------


def prepare_database() -> str:
    """URL of a fresh, migrated `shuxin_bench_workflow` with the demo's boundaries, units and
    users (no demo events)."""
    from sqlalchemy import create_engine, pool
    from sqlalchemy.orm import Session

    from api.demo.service import load_demo

    started = time.perf_counter()
    url = fresh_database(BENCH_DB)
    engine = create_engine(url, poolclass=pool.NullPool)
    with Session(engine) as session:
        result = load_demo(session=session, events=0)
        session.commit()
    engine.dispose()
    print(
        f"database {BENCH_DB} dropped, created, migrated; demo boundaries, "
        f"{result.units_created} units and users loaded in {time.perf_counter() - started:.1f} s"
    )
    return url


_EVENTS = """
WITH units AS (
    SELECT id, township_code, row_number() OVER (ORDER BY code) - 1 AS k
    FROM unit
    WHERE kind = 'platform' AND platform_code = 'zhifa'
          AND (CAST(:township AS text) IS NULL OR township_code = CAST(:township AS text))
), n AS (SELECT count(*) AS c FROM units)
INSERT INTO event (title, description, category_code, urgency, source, external_id, status,
                   location, routing_method, township_code, created_at, updated_at,
                   accepted_at, assigned_at, lead_unit_id, version)
SELECT '基准：路边暴露垃圾 ' || g, '工作流基准数据', '0102', 'normal', 'grid_worker',
       :prefix || g, :status,
       ST_SetSRID(ST_MakePoint(119.10 + (g % 300) * 0.0005, 28.98 + (g / 300 % 300) * 0.0005),
                  4326),
       'unrouted', u.township_code, :created, :created, :created,
       CASE WHEN :assigned THEN CAST(:created AS timestamptz) END,
       CASE WHEN :assigned THEN u.id END, :version
FROM generate_series(1, :count) g CROSS JOIN n JOIN units u ON u.k = g % n.c
"""

_TASKS = """
INSERT INTO task (event_id, unit_id, role, state, assigned_at, acknowledge_due, handle_due,
                  at_risk_at)
SELECT e.id, e.lead_unit_id, 'lead', (ARRAY['pending','acknowledged','in_progress'])[1 + e.id % 3],
       e.assigned_at, e.assigned_at + interval '1 hour', :due, :due - interval '1 hour'
FROM event e WHERE e.external_id LIKE :prefix || '%' AND e.status = 'assigned'
"""

_TIMELINE = """
INSERT INTO event_timeline (event_id, seq, at, action, actor_name, actor_role, from_status,
                            to_status, details)
SELECT e.id, s.seq, e.created_at + (s.seq - 1) * interval '5 minutes', s.action, '基准',
       'commander', s.from_status, s.to_status, '{}'::jsonb
FROM event e
CROSS JOIN (VALUES (1, 'report', NULL, 'reported'), (2, 'accept', 'reported', 'accepted'),
                   (3, 'assign', 'accepted', 'assigned')) AS s(seq, action, from_status, to_status)
WHERE e.external_id LIKE :prefix || '%' AND s.seq <= e.version
"""


def insert_events(
    connection, *, prefix: str, count: int, status: str, township: str | None, due: datetime
) -> None:
    """`count` events (assigned: with a lead task to 监管执法; accepted: without) and their
    timelines, by SQL."""
    from sqlalchemy import text

    assigned = status == "assigned"
    connection.execute(
        text(_EVENTS),
        {
            "township": township,
            "prefix": prefix,
            "status": status,
            "created": NOW.replace(day=23, hour=9),
            "assigned": assigned,
            "version": 3 if assigned else 2,
            "count": count,
        },
    )
    if assigned:
        connection.execute(text(_TASKS), {"prefix": prefix, "due": due})
    connection.execute(text(_TIMELINE), {"prefix": prefix})


# b: the task's place in a block of 10,000 (a permutation of the event ids); h: its offsets.
_RESET = f"""
WITH laid AS (
    SELECT t.id, (t.event_id * 7919) % 10000 AS b, (t.event_id * 104729) % 1000 AS h
    FROM task t JOIN event e ON e.id = t.event_id
    WHERE e.external_id LIKE '{BENCH_PREFIX}sweep-%'
), planned AS (
    SELECT id, h, CASE
        WHEN b < :o1 THEN 'overdue_new'
        WHEN b < :o1 + :r1 THEN 'at_risk_new'
        WHEN b < :o1 + :r1 + :o0 THEN 'overdue_old'
        WHEN b < :o1 + :r1 + :o0 + :r0 THEN 'at_risk_old'
        ELSE 'ahead' END AS kind
    FROM laid
)
UPDATE task t SET
    handle_due = CASE p.kind
        WHEN 'overdue_new' THEN :now - (1 + p.h % 480) * interval '1 minute'
        WHEN 'overdue_old' THEN :now - (600 + p.h * 7) * interval '1 minute'
        WHEN 'at_risk_new' THEN :now + (10 + p.h % 120) * interval '1 minute'
        WHEN 'at_risk_old' THEN :now + (130 + p.h) * interval '1 minute'
        ELSE :now + (60 + p.h * 9) * interval '1 minute' END,
    at_risk_at = CASE p.kind
        WHEN 'overdue_new' THEN :now - (61 + p.h % 480) * interval '1 minute'
        WHEN 'overdue_old' THEN :now - (660 + p.h * 7) * interval '1 minute'
        WHEN 'at_risk_new' THEN :now - (1 + p.h % 30) * interval '1 minute'
        WHEN 'at_risk_old' THEN :now - (31 + p.h % 300) * interval '1 minute'
        ELSE :now + (1 + p.h * 9) * interval '1 minute' END,
    at_risk_notified_at = CASE WHEN p.kind IN ('overdue_new', 'overdue_old', 'at_risk_old')
                               THEN :now - interval '12 hours' END,
    overdue_notified_at = CASE WHEN p.kind = 'overdue_old' THEN :now - interval '10 hours' END
FROM planned p WHERE p.id = t.id
"""

_RESET_EVENTS = """
UPDATE event e SET at_risk = x.at_risk, overdue = x.overdue
FROM (SELECT event_id, bool_or(overdue_notified_at IS NOT NULL) AS overdue,
             bool_or(at_risk_notified_at IS NOT NULL AND overdue_notified_at IS NULL) AS at_risk
      FROM task GROUP BY event_id) x
WHERE e.id = x.event_id AND (e.at_risk IS DISTINCT FROM x.at_risk
                             OR e.overdue IS DISTINCT FROM x.overdue)
"""

_COUNT_AT_RISK = f"""
SELECT count(*) FROM task WHERE state IN {OPEN_STATES} AND at_risk_notified_at IS NULL
                            AND at_risk_at <= :now AND handle_due > :now
"""
_COUNT_OVERDUE = f"""
SELECT count(*) FROM task WHERE state IN {OPEN_STATES} AND overdue_notified_at IS NULL
                            AND handle_due <= :now
"""
_BARE_UPDATE = f"""
UPDATE task SET overdue_notified_at = :now, at_risk_notified_at = :now
WHERE state IN {OPEN_STATES} AND (
      (overdue_notified_at IS NULL AND handle_due <= :now)
   OR (at_risk_notified_at IS NULL AND at_risk_at <= :now))
"""


def reset(engine, scenario: Scenario) -> None:
    """Lay the deadlines out for `scenario` as if no sweep had run at NOW yet; vacuum."""
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(text("DELETE FROM supervision"))
        connection.execute(
            text(_RESET),
            {
                "now": NOW,
                "o1": scenario.overdue_new,
                "r1": scenario.at_risk_new,
                "o0": scenario.overdue_old,
                "r0": scenario.at_risk_old,
            },
        )
        connection.execute(text(_RESET_EVENTS))
    vacuum(engine)


def vacuum(engine) -> None:
    from sqlalchemy import text

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE task, event, supervision, event_timeline"))


def _timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def bench_sweep(url: str, n_events: int, repeats: int) -> list[Row]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from api.supervision.service import sweep

    section(
        f"1. deadline sweep over {n_events:,} open events (one task each), at {NOW:%Y-%m-%d %H:%M}"
    )
    engine = create_engine(url, pool_size=2)
    started = time.perf_counter()
    with engine.begin() as connection:
        insert_events(
            connection,
            prefix=f"{BENCH_PREFIX}sweep-",
            count=n_events,
            status="assigned",
            township=None,
            due=NOW,
        )
        connection.execute(
            text(
                "UPDATE event e SET handle_due = t.handle_due FROM task t "
                "WHERE t.event_id = e.id AND e.handle_due IS NULL"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
        sizes = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM event), (SELECT count(*) FROM task), "
                "(SELECT count(*) FROM event_timeline), "
                "pg_size_pretty(pg_total_relation_size('task')), "
                "pg_size_pretty(pg_total_relation_size('event'))"
            )
        ).one()
    print(
        f"data: {sizes[0]:,} events, {sizes[1]:,} tasks (task table {sizes[3]}, event table "
        f"{sizes[4]}), {sizes[2]:,} timeline entries; built by SQL in "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(
        "each run: deadlines laid out afresh, supervision emptied, VACUUM ANALYZE; then the "
        "reference queries, the sweep + commit, and a second sweep at the same moment"
    )
    rows: list[Row] = []
    for scenario in (REALISTIC, WORST):
        print(f"\n{scenario.name}: {scenario.describe()}")
        print(
            f"{'run':>4}{'sweep+commit':>14}{'overdue/at risk':>17}{'find floor':>12}"
            f"{'write floor':>13}{'quiet minute':>14}"
        )
        sweeps, finds, writes, quiets = [], [], [], []
        for run in range(1, repeats + 1):
            reset(engine, scenario)
            with engine.connect() as connection:
                find_s, counts = _timed(
                    lambda c=connection: (
                        c.scalar(text(_COUNT_OVERDUE), {"now": NOW}),
                        c.scalar(text(_COUNT_AT_RISK), {"now": NOW}),
                    )
                )
                connection.rollback()  # end the read; the UPDATE runs in its own transaction
                write_s, _ = _timed(
                    lambda c=connection: c.execute(text(_BARE_UPDATE), {"now": NOW})
                )
                connection.rollback()
            vacuum(engine)  # the rolled-back UPDATE's dead rows must not slow the sweep
            expected_overdue, expected_at_risk = counts

            def one_sweep():
                with Session(engine) as session:
                    result = sweep(session=session, now=NOW)
                    session.commit()
                return result

            sweep_s, result = _timed(one_sweep)
            quiet_s, quiet = _timed(one_sweep)
            if (result.overdue_events, result.at_risk_events) != (
                expected_overdue,
                expected_at_risk,
            ) or (quiet.overdue_events, quiet.at_risk_events) != (0, 0):
                raise RuntimeError(
                    f"the sweep found {result} then {quiet}; the reference counts say "
                    f"{expected_overdue} overdue and {expected_at_risk} at risk, then nothing"
                )
            sweeps.append(sweep_s)
            finds.append(find_s)
            writes.append(write_s)
            quiets.append(quiet_s)
            print(
                f"{run:>4}{_ms(sweep_s):>14}{f'{result.overdue_events:,}/{result.at_risk_events:,}':>17}"
                f"{_ms(find_s):>12}{_ms(write_s):>13}{_ms(quiet_s):>14}"
            )
        sweep_m, find_m = statistics.median(sweeps), statistics.median(finds)
        write_m, quiet_m = statistics.median(writes), statistics.median(quiets)
        print(
            f"median of {repeats}: sweep + commit {_ms(sweep_m)}; floor: finding the work "
            f"{_ms(find_m)} ({sweep_m / find_m:,.0f}x), the bare task UPDATE {_ms(write_m)} "
            f"({sweep_m / write_m:.1f}x); a quiet minute {_ms(quiet_m)}; target < "
            f"{SWEEP_TARGET_S:g} s: "
            + (
                verdict(sweep_m < SWEEP_TARGET_S)
                if scenario is REALISTIC
                else f"{'within' if sweep_m < SWEEP_TARGET_S else 'over'} it (stress, information)"
            )
        )
        reference = f"find {_ms(find_m)}, bare UPDATE {_ms(write_m)}"
        if scenario is REALISTIC:
            rows.append(
                Row(
                    f"sweep, {n_events:,} open, 2% overdue + 5% at risk",
                    f"{_ms(sweep_m)}",
                    reference,
                    f"< {SWEEP_TARGET_S:g} s",
                    sweep_m < SWEEP_TARGET_S,
                )
            )
            rows.append(
                Row(
                    "sweep, a quiet minute (nothing newly due)",
                    _ms(quiet_m),
                    f"find {_ms(find_m)}",
                    "-",
                    None,
                )
            )
        else:
            rows.append(
                Row(
                    f"sweep, {n_events:,} open, 20% overdue at once",
                    f"{_ms(sweep_m)}",
                    reference,
                    f"- (stress; {SWEEP_TARGET_S:g} s for scale)",
                    None,
                )
            )
    engine.dispose()
    return rows


# --- 2. actions over HTTP -----------------------------------------------------------------------


def _action_events(url: str, count: int) -> dict[str, list[int]]:
    """Fresh events of 龙洲街道 for the actions: assigned (to supervise) and accepted (to
    assign), `count` of each, by SQL; their ids in order."""
    from sqlalchemy import create_engine, pool, text

    engine = create_engine(url, poolclass=pool.NullPool)
    ids = {}
    with engine.begin() as connection:
        for status in ("assigned", "accepted"):
            prefix = f"{BENCH_PREFIX}http-{status}-"
            insert_events(
                connection,
                prefix=prefix,
                count=count,
                status=status,
                township=MAIN,
                due=NOW.replace(year=NOW.year + 1),
            )
            ids[status] = list(
                connection.scalars(
                    text("SELECT id FROM event WHERE external_id LIKE :p || '%' ORDER BY id"),
                    {"p": prefix},
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE event, task, event_timeline"))
    engine.dispose()
    return ids


def bench_http(url: str, n_actions: int) -> list[Row]:
    import httpx

    section(
        f"2. actions over HTTP as the commander zhs: {n_actions:,} supervise and {n_actions:,} "
        "assign, sequential, keep-alive"
    )
    ids = _action_events(url, WARMUP_ACTIONS + n_actions)
    print(
        f"events: {len(ids['assigned']):,} assigned (to supervise) and {len(ids['accepted']):,} "
        f"accepted (to assign) in township {MAIN}, each used once with its version"
    )
    log_path = Path(tempfile.gettempdir()) / f"shuxin-bench-workflow-server-{os.getpid()}.log"
    started = time.perf_counter()
    process, base = start_server(url, log_path, {"SHUXIN_SWEEP_INTERVAL_S": "0"})
    bodies = {
        "supervise": {"version": 3, "level": "yellow", "message": "请加快办理，今日内书面回复"},
        "assign": {"version": 2, "lead_unit": f"{MAIN}-zhifa", "instructions": "请尽快处理"},
    }
    expected = {"supervise": (4, "assigned"), "assign": (3, "assigned")}
    samples: dict[str, tuple[list[float], list[float]]] = {}
    try:
        wait_for_health(process, base, log_path)
        print(
            f"server up at {base} (pid {process.pid}, 1 worker, sweep off) in "
            f"{time.perf_counter() - started:.1f} s; log {log_path}"
        )
        headers = {"Authorization": f"Bearer {sign_in(base, 'zhs')}"}
        perf = time.perf_counter
        with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
            for action, status in (("supervise", "assigned"), ("assign", "accepted")):
                action_ms: list[float] = []
                health_ms: list[float] = []
                for i, event_id in enumerate(ids[status]):
                    t0 = perf()
                    response = client.post(
                        f"/api/v1/events/{event_id}/actions/{action}", json=bodies[action]
                    )
                    t1 = perf()
                    health = client.get("/health")
                    t2 = perf()
                    if response.status_code != 200 or health.status_code != 200:
                        raise RuntimeError(
                            f"{action} on event {event_id} answered {response.status_code}: "
                            f"{response.text[:500]} (health {health.status_code})"
                        )
                    answer = response.json()
                    if (answer["version"], answer["status"]) != expected[action]:
                        raise RuntimeError(f"{action} on event {event_id} answered {answer}")
                    if i >= WARMUP_ACTIONS:
                        action_ms.append((t1 - t0) * 1000)
                        health_ms.append((t2 - t1) * 1000)
                samples[action] = (action_ms, health_ms)
        print(f"warm-up: {WARMUP_ACTIONS} of each action (and /health), not counted; all 200")
    finally:
        stop_server(process)
    print(f"server stopped; database {BENCH_DB} left in place (re-created on the next run)")

    print(f"{'ms per request':<42}{'p50':>8}{'p90':>8}{'p99':>8}{'mean':>8}")
    rows: list[Row] = []
    for action, (action_ms, health_ms) in samples.items():
        a, h = percentiles(action_ms), percentiles(health_ms)
        for name, stats in (
            (f"POST .../actions/{action}", a),
            ("GET /health (reference, same connection)", h),
        ):
            print(
                f"{name:<42}" + "".join(f"{stats[k]:8.2f}" for k in ("p50", "p90", "p99", "mean"))
            )
        print(
            f"{action} p50 is {a['p50'] / h['p50']:.1f}x the /health p50 "
            f"({a['p50'] - h['p50']:.2f} ms above the framework + one-query floor)"
        )
        rows.append(
            Row(
                f"{action} over HTTP p50 / p90 / p99",
                f"{a['p50']:.2f} / {a['p90']:.2f} / {a['p99']:.2f} ms",
                f"/health {h['p50']:.2f} / {h['p90']:.2f} / {h['p99']:.2f} ms",
                "- (none set)",
                None,
            )
        )
    return rows


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=positive, default=100_000, help="open events (100,000)")
    parser.add_argument(
        "--actions", type=positive, default=500, help="timed requests per action (500)"
    )
    parser.add_argument("--repeats", type=positive, default=3, help="sweep runs per scenario (3)")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(
        f"Shuxin workflow benchmarks: python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    rows: list[Row] = []
    failures: list[str] = []
    try:
        url = prepare_database()
    except Exception as exc:  # noqa: BLE001 - report and go on to the summary
        failures.append(f"the database could not be prepared: {type(exc).__name__}: {exc}")
        url = None
    for skip, bench, arg in (
        (args.skip_sweep, bench_sweep, (args.events, args.repeats)),
        (args.skip_http, bench_http, (args.actions,)),
    ):
        if skip or url is None:
            continue
        try:
            rows += bench(url, *arg)
        except Exception as exc:  # noqa: BLE001 - report and go on to the summary
            failures.append(f"{bench.__name__} could not run: {type(exc).__name__}: {exc}")
            print(f"ERROR: {failures[-1]}", file=sys.stderr)

    return print_summary(rows, failures, started)


if __name__ == "__main__":
    sys.exit(main())
