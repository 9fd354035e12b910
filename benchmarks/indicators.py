"""Indicators over a million events, each figure printed beside a plain count(*) over the same
rows, measured in the same run.

1. load:  `generate_history(count=1,000,000)` into a fresh database (`shuxin_bench_indicators`),
          which also builds the indicators' fact rows from the timelines (the phase is timed
          apart), + commit.
2. month: every indicator of the last full month, grouped by all the grids (target < 1 s);
          reference: `SELECT count(*)` of the fact rows of that month (the same WHERE), and of
          the events reported in it.
3. year:  every indicator of the twelve months before, grouped by township (target < 2 s); the
          same references.
4. extra (information): the month with comparison (previous period, last year), an assessment
          run of the grids of one township, the month by township.

    .venv/bin/python benchmarks/indicators.py [--events N] [--keep] [--repeats N]

A missed target is a result (MISSED), exit 0; exit 1 only when something could not be measured.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import (
    Row,
    create_database,
    positive,
    print_summary,
    section,
    start_cluster,
    verdict,
)

BENCH_DB = "shuxin_bench_indicators"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH_TARGET_S = 1.0
YEAR_TARGET_S = 2.0
TOWNSHIP = "330825001"


def operator():
    from api.users.models import Role
    from api.users.service import Actor

    return Actor(0, "bench", "benchmark", Role.admin, None, None, None, None, None, ())


def prepare(n_events: int, keep: bool, now: datetime) -> tuple[str, list[Row]]:
    from sqlalchemy import create_engine, pool, text
    from sqlalchemy.orm import Session

    from api.demo.history import generate_history
    from api.demo.service import load_demo
    from api.migrate import upgrade

    section(f"1. loading {n_events:,} events (and their fact rows)")
    cluster = start_cluster()
    url = create_database(cluster, BENCH_DB, drop_first=not keep)
    upgrade(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        present = connection.scalar(text("SELECT count(*) FROM indicator_event")) or 0
    rows: list[Row] = []
    if keep and present >= n_events:
        print(f"--keep: {present:,} fact rows already there; the load is not measured")
        engine.dispose()
        return url, rows
    if keep:
        url = create_database(cluster, BENCH_DB, drop_first=True)
        upgrade(url)
        engine = create_engine(url, poolclass=pool.NullPool)
    with Session(engine) as session:
        load_demo(session=session, events=0)
        session.commit()
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "indicator facts" and "facts_start" not in marks:
            marks["facts_start"] = time.perf_counter()
        if done >= total:
            marks[stage] = time.perf_counter()

    with Session(engine) as session:
        made = generate_history(session=session, count=n_events, now=now, progress=progress)
        session.commit()
    total_s = time.perf_counter() - started
    facts_s = marks.get("indicator facts", started) - marks.get("facts_start", started)
    with engine.connect() as connection:
        facts_n = connection.scalar(text("SELECT count(*) FROM indicator_event"))
        entries = connection.scalar(text("SELECT count(*) FROM event_timeline"))
    engine.dispose()
    print(
        f"generate_history: {made:,} events, {entries:,} timeline entries, {facts_n:,} fact rows "
        f"in {total_s:.1f} s, of which building the fact rows from the timelines {facts_s:.1f} s "
        f"({facts_n / max(facts_s, 1e-9):,.0f} events/s)"
    )
    rows.append(
        Row(
            f"fact rows from {facts_n:,} timelines",
            f"{facts_s:.1f} s",
            f"whole load {total_s:.1f} s",
            "-",
            None,
        )
    )
    return url, rows


def timed(repeats: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def measure(url: str, repeats: int, now: datetime) -> list[Row]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from api.assessments.service import run as run_assessment
    from api.indicators.definitions import INDICATORS, PERIOD_ROWS
    from api.indicators.periods import parse_period
    from api.indicators.service import Scope, compute

    engine = create_engine(url)
    first_of_month = now.date().replace(day=1)
    last_month = (first_of_month - timedelta(days=1)).replace(day=1)
    month = parse_period(f"{last_month:%Y-%m}")
    year_start = date(last_month.year - 1, last_month.month, 1) + timedelta(days=32)
    year_start = year_start.replace(day=1)
    year = parse_period(f"{year_start.isoformat()}..{(first_of_month - timedelta(days=1))}")
    rows: list[Row] = []
    actor = operator()
    with engine.begin() as connection:  # statistics for the planner, committed
        connection.execute(text("ANALYZE indicator_event"))
    with Session(engine) as session:
        grids = session.scalar(
            text(
                "SELECT count(*) FROM area a JOIN boundary_set s ON s.id = a.set_id "
                "AND s.is_active WHERE a.level = 'grid'"
            )
        )

        def figures(period, by, compare=False):
            return compute(session=session, actor=actor, period=period, by=by, scope=Scope(),
                           now=now, compare=compare)  # fmt: skip

        def count_facts(period):
            return session.scalar(
                text(f"SELECT count(*) FROM indicator_event f WHERE {PERIOD_ROWS}"),
                {"start": period.start, "t": period.as_of(now)},
            )

        def count_events(period):
            return session.scalar(
                text("SELECT count(*) FROM event WHERE created_at >= :s AND created_at < :e"),
                {"s": period.start, "e": period.end},
            )

        for name, period, by, target in (
            (f"month {month.label} by grid", month, "grid", MONTH_TARGET_S),
            (f"year {year.label} by township", year, "township", YEAR_TARGET_S),
        ):
            section(f"{name}")
            figures(period, by)  # warm the caches (both sides are then measured warm)
            seconds, table = timed(repeats, lambda p=period, b=by: figures(p, b))
            facts_s, facts_n = timed(repeats, lambda p=period: count_facts(p))
            events_s, events_n = timed(repeats, lambda p=period: count_events(p))
            reported = table.total.figures["reported"].value
            print(
                f"compute(by={by}): {len(table.groups):,} groups ({grids:,} grids in the set), "
                f"{len(INDICATORS)} indicators each, median of {repeats}: {seconds * 1000:.0f} ms"
            )
            print(
                f"  reference: count(*) of the same {facts_n:,} fact rows {facts_s * 1000:.0f} ms; "
                f"count(*) of the {events_n:,} events reported in the period "
                f"{events_s * 1000:.0f} ms"
            )
            agree = reported == events_n
            print(
                f"  check: 上报数 {reported:,.0f} = events reported {events_n:,}: "
                f"{'yes' if agree else 'NO'}; target < {target:.0f} s: {verdict(seconds < target)}"
            )
            rows.append(
                Row(
                    name,
                    f"{seconds * 1000:.0f} ms ({len(table.groups):,} groups)",
                    f"count(*) {facts_s * 1000:.0f} ms / {events_s * 1000:.0f} ms",
                    f"< {target:.0f} s",
                    seconds < target and agree,
                )
            )
        section("4. for information")
        for label, work in (
            (
                f"month {month.label} by grid, with comparisons",
                lambda: figures(month, "grid", True),
            ),
            (f"month {month.label} by township", lambda: figures(month, "township")),
        ):
            seconds, _ = timed(repeats, work)
            print(f"{label}: {seconds * 1000:.0f} ms")
            rows.append(Row(label, f"{seconds * 1000:.0f} ms", "-", "-", None))
        t0 = time.perf_counter()
        assessment = run_assessment(
            session=session,
            actor=actor,
            scheme_code="default",
            level="grid",
            township=TOWNSHIP,
            period=month,
            now=now,
        )
        seconds = time.perf_counter() - t0
        members = session.scalar(
            text("SELECT count(*) FROM assessment_member WHERE assessment_id = :a"),
            {"a": assessment.id},
        )
        session.rollback()
        print(f"assessment of {TOWNSHIP}'s grids, {month.label} ({members:,} events stored "
              f"behind the figures): {seconds * 1000:.0f} ms")  # fmt: skip
        rows.append(Row("assessment run (one township's grids)", f"{seconds * 1000:.0f} ms",
                        "-", "-", None))  # fmt: skip
    engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=positive, default=1_000_000)
    parser.add_argument("--repeats", type=positive, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse the loaded database")
    args = parser.parse_args()
    started = time.perf_counter()
    now = datetime.now(SHANGHAI)
    failures: list[str] = []
    rows: list[Row] = []
    try:
        url, rows = prepare(args.events, args.keep, now)
        rows += measure(url, args.repeats, now)
    except Exception as exc:  # noqa: BLE001 - a measurement that could not be made is reported
        failures.append(f"{type(exc).__name__}: {exc}")
        import traceback

        traceback.print_exc()
    return print_summary(rows, failures, started)


if __name__ == "__main__":
    sys.exit(main())
