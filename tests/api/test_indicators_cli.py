"""`shuxin indicators` and `shuxin assessments` on the committed demo data: the same figures as the
API, a scheme loaded from a file, a file that is not a scheme refused with its reason."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import httpx

from api import clock

REPO = Path(__file__).resolve().parents[2]


def shuxin(database_url: str, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "SHUXIN_DATABASE_URL": database_url, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "api.cli.main", *map(str, args)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_indicators_by_township_equal_the_api(live_server, live_admin_headers, database_url):
    period = f"{clock.now():%Y-%m}"
    run = shuxin(database_url, "indicators", "--period", period, "--by", "township", "--csv")
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    api = httpx.get(
        f"{live_server}/api/v1/indicators",
        params={"period": period, "by": "township"},
        headers=live_admin_headers,
        timeout=60,
    ).json()
    by_code = {g["code"]: g for g in api["groups"]}
    assert rows and {r["code"] for r in rows[:-1]} == set(by_code)
    for row in rows[:-1]:
        assert float(row["上报数（件）"]) == by_code[row["code"]]["figures"]["reported"]["value"]
    table = shuxin(database_url, "indicators", "--period", period, "--by", "township")
    assert table.returncode == 0 and "结案率" in table.stdout
    bad = shuxin(database_url, "indicators", "--period", "2026-13")
    assert bad.returncode != 0 and "is not a period" in bad.stderr


def test_schemes_load_from_a_file(tmp_path, demo_loaded, database_url):
    from api.assessments.scoring import DEFAULT_SCHEME

    good = tmp_path / "scheme.toml"
    good.write_text(
        DEFAULT_SCHEME.read_text(encoding="utf-8").replace('code = "default"', 'code = "cli-test"'),
        encoding="utf-8",
    )
    loaded = shuxin(database_url, "assessments", "schemes", "load", good)
    assert loaded.returncode == 0, loaded.stderr
    assert "Loaded scheme cli-test version" in loaded.stdout
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('code = "x"\nname = "x"\ngrades = [{grade = "A", min = 90}]\n', "utf-8")
    refused = shuxin(database_url, "assessments", "schemes", "load", wrong)
    assert refused.returncode != 0
    assert "bands go from the highest min down to a band with min = 0" in refused.stderr
