"""The `shuxin` command's start-up and `route-file` against a plain geopandas script.

Each command runs as a user runs it (a new process), several times; the medians are printed
beside their references measured in the same run:
- `shuxin --help`, `shuxin deadline ...` and `shuxin route LON LAT` (target: under 0.5 s each),
  beside `python -c pass` (the interpreter's own start);
- `shuxin route-file` on Boston's 2015 requests with Boston's wards as the active grids, beside
  a plain geopandas script (eight lines) that reads the same CSV and wards, joins and writes
  (target: within 1.2x).

The script makes its own database (`shuxin_bench_cli`, dropped and re-created) in the embedded
cluster under $SHUXIN_HOME, imports the wards there and activates them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, Row, fresh_database, positive, print_summary, section

BOSTON = REPO.parent / "shared" / "datasets" / "boston311"
PYTHON = sys.executable

PLAIN = """
import geopandas as gpd, pandas as pd, sys
frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
lon, lat = (pd.to_numeric(frame[c], errors="coerce") for c in ("lon", "lat"))
points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)
wards = gpd.read_file(sys.argv[2])[["ward", "geometry"]]
joined = gpd.sjoin(points, wards, how="left", predicate="intersects").drop_duplicates(subset="id")
joined.drop(columns=["geometry", "index_right"]).to_csv(sys.argv[3], index=False)
"""


def timed(command: list[str], env: dict, repeats: int) -> list[float]:
    """Wall times of `repeats` runs of `command` (each must succeed)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO)
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=positive, default=7)
    args = parser.parse_args(argv)
    started, rows, failures = time.perf_counter(), [], []
    url = fresh_database("shuxin_bench_cli")
    env = {**os.environ, "SHUXIN_DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    shuxin = [PYTHON, "-m", "api.cli.main"]
    section("set-up: Boston's wards as the active grids")
    subprocess.run(
        [*shuxin, "boundaries", "import", str(BOSTON / "wards.geojson"), "--level", "grid",
         "--code-field", "ward", "--set", "boston", "--commit"],
        env=env, check=True, capture_output=True, cwd=REPO,
    )  # fmt: skip
    subprocess.run([*shuxin, "boundaries", "activate", "boston"], env=env, check=True,
                   capture_output=True, cwd=REPO)  # fmt: skip

    section(f"start-up of the command (medians of {args.repeats} runs)")
    floor = statistics.median(timed([PYTHON, "-c", "pass"], env, args.repeats))
    print(f"python -c pass{'':28}{floor:.3f} s")
    for label, command in (
        ("shuxin --help", [*shuxin, "--help"]),
        ("shuxin deadline", [*shuxin, "deadline", "--from", "2026-09-30 16:00",
                             "--working-hours", "8"]),
        ("shuxin route LON LAT", [*shuxin, "route", "--", "-71.0648", "42.3574"]),
    ):  # fmt: skip
        median = statistics.median(timed(command, env, args.repeats))
        print(f"{label:42}{median:.3f} s")
        rows.append(Row(label, f"{median:.3f} s", f"python -c pass {floor:.3f} s", "< 0.5 s",
                        median < 0.5))  # fmt: skip

    section("route-file on Boston's 2015 requests vs a plain geopandas script")
    requests = BOSTON / "requests_2015.csv"
    with tempfile.TemporaryDirectory() as tmp:
        ours = [*shuxin, "route-file", str(requests), "--lon", "lon", "--lat", "lat",
                "-o", f"{tmp}/ours.csv"]  # fmt: skip
        script = Path(tmp) / "plain.py"
        script.write_text(PLAIN)
        plain = [PYTHON, str(script), str(requests), str(BOSTON / "wards.geojson"),
                 f"{tmp}/plain.csv"]  # fmt: skip
        ours_times, plain_times = [], []
        for round_ in range(args.repeats):  # alternate, so that a busy moment hits both
            pair = [(ours, ours_times), (plain, plain_times)]
            for command, into in pair if round_ % 2 == 0 else pair[::-1]:
                into.extend(timed(command, env, 1))
        ours_median, plain_median = statistics.median(ours_times), statistics.median(plain_times)
        ratio = ours_median / plain_median
        lines = len(Path(f"{tmp}/ours.csv").read_text(encoding="utf-8").splitlines()) - 1
    print(f"shuxin route-file: {ours_median:.2f} s; plain geopandas: {plain_median:.2f} s; "
          f"ratio {ratio:.2f} ({lines:,} rows)")  # fmt: skip
    rows.append(Row("route-file / plain geopandas", f"{ratio:.2f}x ({ours_median:.2f} s)",
                    f"plain script {plain_median:.2f} s", "<= 1.2x", ratio <= 1.2))  # fmt: skip
    return print_summary(rows, failures, started)


if __name__ == "__main__":
    sys.exit(main())
