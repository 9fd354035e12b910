"""What the benchmark scripts share: the summary table, percentiles, the bench database in the
embedded cluster, and `shuxin serve` started as a subprocess."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from api.embedded_pg import EmbeddedPostgres

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    """One line of the final summary."""

    figure: str
    value: str
    reference: str
    target: str
    passed: bool | None  # None: information only

    def __post_init__(self) -> None:
        if self.passed is not None:
            self.passed = bool(self.passed)  # numpy booleans are not `False`


# --- printing -----------------------------------------------------------------------------------


def verdict(passed: bool | None) -> str:
    """PASS, MISSED, or "-" for a figure printed as information only."""
    return {True: "PASS", False: "MISSED", None: "-"}[passed]


def section(title: str) -> None:
    """Print a section heading: `== title ====...`, 100 columns wide."""
    print(f"\n== {title} " + "=" * max(0, 94 - len(title)), flush=True)


def print_summary(rows: list[Row], failures: list[str], started: float) -> int:
    """Print the summary table, the missed targets and what was not measured; the exit code."""
    section("summary")
    headers = ("figure", "value", "reference", "target", "result")
    table = [headers] + [
        (r.figure, r.value, r.reference, r.target, verdict(r.passed)) for r in rows
    ]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(headers))]
    for i, line in enumerate(table):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    missed = [r.figure for r in rows if r.passed is False]
    print(
        f"\n{'MISSED: ' + '; '.join(missed) if missed else 'All targets met.'} "
        f"(total time {time.perf_counter() - started:.0f} s)"
    )
    for failure in failures:
        print(f"NOT MEASURED: {failure}")
    return 1 if failures else 0


# --- options and statistics ---------------------------------------------------------------------


def positive(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def percentiles(
    samples_ms: Sequence[float], points: Sequence[int] = (50, 90, 99)
) -> dict[str, float]:
    """{"p50": ..., "p90": ..., "p99": ..., "mean": ..., "max": ...} of the samples (`points`)."""
    values = np.asarray(samples_ms)
    at = np.percentile(values, list(points))
    stats = {f"p{point}": value for point, value in zip(points, at, strict=True)}
    return {**stats, "mean": float(values.mean()), "max": float(values.max())}


# --- the bench database -------------------------------------------------------------------------


def shuxin_home() -> Path:
    """$SHUXIN_HOME (resolved), else ./.shuxin in the repository: where the embedded cluster is."""
    home = os.environ.get("SHUXIN_HOME")
    return Path(home).expanduser().resolve() if home else REPO / ".shuxin"


def start_cluster() -> EmbeddedPostgres:
    """The embedded cluster under $SHUXIN_HOME, started if needed (its messages indented)."""
    from api.embedded_pg import EmbeddedPostgres

    cluster = EmbeddedPostgres(shuxin_home())
    cluster.start(log=lambda message: print(f"  {message}", flush=True))
    return cluster


def create_database(cluster: EmbeddedPostgres, name: str, *, drop_first: bool = True) -> str:
    """URL of the database `name` in `cluster`, created (dropped first) and ready for use."""
    from api.embedded_pg import wait_until_ready

    cluster.create_database(name, drop_first=drop_first)
    url = cluster.url(name)
    wait_until_ready(url, timeout_s=30)
    return url


def fresh_database(name: str) -> str:
    """URL of the database `name` in the embedded cluster, dropped, re-created and migrated."""
    from api.migrate import upgrade

    url = create_database(start_cluster(), name)
    upgrade(url)
    return url


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    url: str, log_path: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """(process, base URL) of `python -m api.cli.main serve` on `url`, logging to `log_path`."""
    port = free_port()
    env = {
        **os.environ,
        "SHUXIN_DATABASE_URL": url,
        "SHUXIN_PORT": str(port),
        **(extra_env or {}),
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli.main", "serve", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


def wait_for_health(process: subprocess.Popen, base: str, log_path: Path) -> None:
    """Wait up to 90 s for GET /health to answer 200; raise with the server's log if not."""
    import httpx

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(
        f"the server did not become healthy (exit code {process.poll()}); "
        f"its log:\n{log_path.read_text(errors='replace')[-3000:]}"
    )


def stop_server(process: subprocess.Popen) -> None:
    """Terminate the server (kill it after 15 s); nothing if it has already exited."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def sign_in(base: str, login: str) -> str:
    """An access token for the demo user `login` (POST /api/v1/auth/token with the password)."""
    import httpx

    from api.demo.people import DEMO_PASSWORD

    answer = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": login, "password": DEMO_PASSWORD},
        timeout=30,
    )
    if answer.status_code != 200:
        raise RuntimeError(
            f"signing in as {login} answered {answer.status_code}: {answer.text[:300]}"
        )
    return answer.json()["access_token"]
