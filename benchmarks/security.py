"""What confidentiality costs: a correct sign-in with its throttling, and intake with the session
checks and masking.

- Sign-in: `POST /api/v1/auth/token` p50 over HTTP against `shuxin serve`, beside the scrypt
  verification alone (the cost OWASP asks for) and the throttle's own work (the lock check and
  the clearing of the login's failures, two small queries), all in the same run.
- Intake: `POST /api/v1/events` p50 is measured by `benchmarks/routing.py --skip-bulk` (the same
  script before and after): see the README.

Makes its own database (`shuxin_bench_security`, dropped and re-created) in the embedded cluster.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import (
    REPO,
    Row,
    fresh_database,
    positive,
    print_summary,
    section,
    start_server,
    stop_server,
    wait_for_health,
)

sys.path.insert(0, str(REPO))
LOGIN, PASSWORD = "bench-admin", "长河落日圆-2026"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sign-ins", type=positive, default=40)
    args = parser.parse_args(argv)
    started, rows = time.perf_counter(), []
    url = fresh_database("shuxin_bench_security")
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from api import clock
    from api.users import security, throttle
    from api.users.service import create_user

    engine = create_engine(url)
    with Session(engine) as session:
        create_user(session=session, login=LOGIN, role="admin", unit_code=None, password=PASSWORD)
        session.commit()

    section("in-process: the password check and the throttle's own work")
    stored = security.hash_password(PASSWORD)
    verify = []
    for _ in range(15):
        t = time.perf_counter()
        security.verify_password(PASSWORD, stored)
        verify.append(time.perf_counter() - t)
    throttled = []
    with Session(engine) as session:
        for _ in range(200):
            t = time.perf_counter()
            throttle.check(session, login=LOGIN, address="127.0.0.1", now=clock.now())
            throttle.succeeded(session, login=LOGIN)
            throttled.append(time.perf_counter() - t)
        session.rollback()
    v, th = statistics.median(verify) * 1000, statistics.median(throttled) * 1000
    print(f"scrypt verification (N=2^15, r=8, p=3): median {v:.1f} ms")
    print(f"throttle check + clear (two queries):   median {th:.2f} ms ({th / v:.1%} of it)")

    section(f"over HTTP: {args.sign_ins} correct sign-ins against shuxin serve")
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        process, base = start_server(url, Path(tmp) / "server.log")
        try:
            wait_for_health(process, base, Path(tmp) / "server.log")
            with httpx.Client(base_url=base, timeout=30) as client:
                health, sign_ins = [], []
                for _ in range(args.sign_ins):
                    t = time.perf_counter()
                    client.get("/health")
                    health.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    answer = client.post(
                        "/api/v1/auth/token", data={"username": LOGIN, "password": PASSWORD}
                    )
                    sign_ins.append(time.perf_counter() - t)
                    assert answer.status_code == 200, answer.text
        finally:
            stop_server(process)
    s, h = statistics.median(sign_ins) * 1000, statistics.median(health) * 1000
    print(f"POST /api/v1/auth/token p50 {s:.1f} ms; GET /health p50 {h:.2f} ms")
    rows.append(Row("correct sign-in p50 (HTTP)", f"{s:.1f} ms",
                    f"scrypt alone {v:.1f} ms, /health {h:.2f} ms", "-", None))  # fmt: skip
    rows.append(Row("throttling on a correct sign-in", f"{th:.2f} ms",
                    f"{th / s:.1%} of the sign-in", "-", None))  # fmt: skip
    engine.dispose()
    return print_summary(rows, [], started)


if __name__ == "__main__":
    sys.exit(main())
