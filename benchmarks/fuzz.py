"""The long property-based run of the whole OpenAPI document (schemathesis): `make fuzz`.

Makes its own database (`shuxin_fuzz`: the Longyou demo with 500 events), then runs every
operation with `--examples` generated cases (default 200) signed in as the administrator, on one
transaction rolled back at the end. Prints the operations, the cases run, and every failure (a
server error, or an answer that breaks the schema it documents). Exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from common import REPO, fresh_database, positive, section

sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=positive, default=200)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args(argv)
    url = fresh_database("shuxin_fuzz")
    os.environ["SHUXIN_DATABASE_URL"] = url
    os.environ["SHUXIN_SWEEP_INTERVAL_S"] = "0"
    from sqlalchemy import create_engine

    from api.settings import get_settings

    get_settings.cache_clear()
    from sqlalchemy.orm import Session

    from api.demo.service import load_demo
    from tests.conftest import bearer
    from tests.fuzzing import run_fuzz

    engine = create_engine(url)
    with Session(engine) as session:
        load_demo(session=session, events=500)
        session.commit()
    started = time.perf_counter()
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        section(f"schemathesis: every operation, {args.examples} cases each, seed {args.seed}")
        report = run_fuzz(session=session, headers=bearer(session, "admin"),
                          examples=args.examples, seed=args.seed)  # fmt: skip
    finally:
        session.close()
        outer.rollback()
        connection.close()
    took = time.perf_counter() - started
    print(f"{report.operations} operations, {report.cases:,} cases in {took:.0f} s; "
          f"{len(report.failures)} failures")  # fmt: skip
    for failure in report.failures:
        print(f"- {failure}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
