"""Reading hotline files for batch intake, each figure printed beside its reference.

Writes a 12345-style export of --rows work orders as .xlsx and as .csv (UTF-8), then times
`open_intake(...).rows()` (reading, mapping and validating every row into EventIn fields) against,
in the same run and on the same files:
- xlsx: openpyxl's read-only iteration of the same sheet (values only, no mapping): the floor of
        any streaming xlsx reader in Python;
- csv:  pandas.read_csv of the same file (its C parser, every column as text, no validation),
        and the standard library's csv.reader (the floor of a row-at-a-time Python reader).

    .venv/bin/python benchmarks/intake_files.py [--rows N] [--repeats N]

No database is needed. It exits 0 when it could measure (a missed target is printed as MISSED).
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import platform
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks`, `api`, `gis`
from benchmarks.common import Row, positive, print_summary, section

XLSX_RATIO_TARGET = 0.5  # engine rows/s over openpyxl's bare iteration of the same sheet

HEADER = ["序号", "工单编号", "诉求标题", "诉求内容", "诉求地址", "来电人", "联系电话", "受理时间",
          "诉求分类", "紧急程度", "办理状态", "承办单位"]  # fmt: skip
CATEGORIES = [
    "城市管理-市容环境-暴露垃圾",
    "城乡建设>市容市貌>暴露垃圾",
    "城市管理-街面秩序-占道经营",
    "公共服务-市政设施-路灯故障",
    "生态环境-噪声污染-噪音扰民",
    "劳动保障-劳动关系-拖欠工资",
    "住房保障-物业管理-物业纠纷",
    "交通运输-道路-道路积水",
    "其他-其他",  # matches nothing: the default category, flagged
    "咨询-政策咨询",
]
TEXTS = [
    "桥头东侧有一堆生活垃圾未清运，气味很大，已经三天了。请尽快处理",
    "小区门口有流动摊贩占道经营，早高峰堵塞人行道，希望相关部门管一管",
    "村口路灯连续一周不亮，晚上老人出行不便，存在安全隐患",
    "楼下饭店油烟和噪音扰民，晚上十一点后仍在营业",
    "来电人反映在某工地务工，工资已拖欠两个月，要求协调",
]


# --- the files ----------------------------------------------------------------------------------


def make_orders(n: int, seed: int) -> list[list]:
    """`n` realistic work orders: 1% with an impossible date, 0.5% repeating an earlier id, a
    tenth with a masked phone, a fifth with a title; time as a datetime (text in the CSV)."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 11, 1, 8, 0)
    minutes = np.sort(rng.integers(0, 30 * 24 * 60, n))
    category = rng.integers(0, len(CATEGORIES), n)
    text = rng.integers(0, len(TEXTS), n)
    special = rng.random(n)
    orders = []
    for i in range(n):
        number = i
        if 0.010 <= special[i] < 0.015 and i > 0:
            number = int(rng.integers(0, i))  # a repeat of an earlier order
        at: datetime | str = start + timedelta(minutes=int(minutes[i]))
        if special[i] < 0.01:
            at = "2026-02-30 09:00"
        orders.append(
            [
                i + 1,
                f"ZJ12345-202611-{number:06d}",
                "路边暴露垃圾" if special[i] > 0.8 else None,
                TEXTS[text[i]] + f"（{i}）",
                f"龙洲街道某路 {i % 500} 号",
                "张先生" if i % 3 else None,
                "138****0000" if 0.2 < special[i] < 0.3 else f"138{i % 10**8:08d}",
                at,
                CATEGORIES[category[i]],
                "紧急" if i % 17 == 0 else "一般",
                "待办理",
                "龙洲街道综合指挥室",
            ]
        )
    return orders


def write_files(orders: list[list], folder: Path) -> tuple[Path, Path]:
    import openpyxl

    xlsx = folder / "orders.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append(["2026年11月 12345 热线工单导出"])
    sheet.append(HEADER)
    for order in orders:
        sheet.append(order)
    book.save(xlsx)
    path = folder / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["2026年11月 12345 热线工单导出"])
        writer.writerow(HEADER)
        for order in orders:
            at = order[7]
            writer.writerow(
                order[:7]
                + [f"{at:%Y-%m-%d %H:%M:%S}" if isinstance(at, datetime) else at]
                + order[8:]
            )
    return xlsx, path


# --- the readers --------------------------------------------------------------------------------


def engine(path: Path) -> Counter:
    """Read, map and validate every row: the outcomes counted."""
    from api.intake.files import open_intake

    with open_intake(path) as intake:
        return Counter(result.outcome.value for result in intake.rows())


def openpyxl_bare(path: Path) -> int:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in book["工单"].iter_rows(values_only=True))
    finally:
        book.close()


def pandas_csv(path: Path) -> int:
    import pandas as pd

    return len(pd.read_csv(path, skiprows=1, dtype=str, keep_default_na=False))


def csv_reader(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle))


def timed(function: Callable, path: Path) -> float:
    gc.collect()
    started = time.perf_counter()
    function(path)
    return time.perf_counter() - started


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} rows/s"


# --- the rounds ---------------------------------------------------------------------------------


def bench(n: int, repeats: int, seed: int, memory: bool) -> list[Row]:
    section(f"files: {n:,} work orders")
    orders = make_orders(n, seed)
    with tempfile.TemporaryDirectory(prefix="shuxin-intake-bench-") as tmp:
        xlsx, path = write_files(orders, Path(tmp))
        print(
            f"xlsx {xlsx.stat().st_size / 1e6:.1f} MB, csv {path.stat().st_size / 1e6:.1f} MB "
            f"(a title row, the header, {n:,} rows of {len(HEADER)} columns)"
        )
        counts = {"xlsx": engine(xlsx), "csv": engine(path)}  # warm-up, and the outcomes
        for kind, outcome in counts.items():
            print(f"{kind} outcomes: {dict(outcome)}")
        times: dict[str, list[float]] = {
            k: [] for k in ("xlsx", "openpyxl", "csv", "pandas", "csv.reader")
        }
        section(f"{repeats} timed rounds (the order alternates)")
        for round_ in range(repeats):
            pairs = [
                ("xlsx", engine, xlsx),
                ("openpyxl", openpyxl_bare, xlsx),
                ("csv", engine, path),
                ("pandas", pandas_csv, path),
                ("csv.reader", csv_reader, path),
            ]
            if round_ % 2:
                pairs.reverse()
            for key, function, file in pairs:
                times[key].append(timed(function, file))
            print(
                f"round {round_ + 1}: " + ", ".join(f"{k} {rate(n, times[k][-1])}" for k in times)
            )
        med = {k: median(v) for k, v in times.items()}
        ratio_xlsx = med["openpyxl"] / med["xlsx"]
        ratio_pandas = med["pandas"] / med["csv"]
        ratio_reader = med["csv.reader"] / med["csv"]
        section("medians")
        for key, value in med.items():
            print(f"{key:11} {value:7.2f} s  {rate(n, value)}")
        print(
            f"xlsx engine / openpyxl iteration = {ratio_xlsx:.2f}; csv engine / pandas = "
            f"{ratio_pandas:.3f}; csv engine / csv.reader = {ratio_reader:.3f}"
        )
        peak_line = None
        if memory:
            section("memory (one more pass of the xlsx, under tracemalloc, untimed)")
            tracemalloc.start()
            engine(xlsx)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peak_line = f"{peak / 1e6:.1f} MB"
            print(
                f"peak Python allocations while streaming {n:,} rows: {peak_line} "
                f"(the xlsx is {xlsx.stat().st_size / 1e6:.1f} MB on disk)"
            )
    expected_ok = counts["xlsx"]["ok"]
    rows = [
        Row(
            "xlsx: read+map+validate",
            rate(n, med["xlsx"]),
            f"openpyxl read-only iteration {rate(n, med['openpyxl'])}",
            f"ratio >= {XLSX_RATIO_TARGET} (got {ratio_xlsx:.2f})",
            ratio_xlsx >= XLSX_RATIO_TARGET,
        ),
        Row(
            "csv: read+map+validate",
            rate(n, med["csv"]),
            f"pandas.read_csv {rate(n, med['pandas'])}; csv.reader {rate(n, med['csv.reader'])}",
            "-",
            None,
        ),
        Row(
            "same outcomes from xlsx and csv",
            f"ok {expected_ok:,}",
            f"csv ok {counts['csv']['ok']:,}",
            "equal",
            counts["xlsx"] == counts["csv"],
        ),
    ]
    if peak_line is not None:
        rows.append(Row("xlsx: peak Python memory", peak_line, "-", "-", None))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=positive, default=50_000)
    parser.add_argument("--repeats", type=positive, default=3)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--skip-memory", action="store_true", help="no tracemalloc pass")
    args = parser.parse_args(argv)

    import openpyxl
    import pandas as pd

    started = time.perf_counter()
    print(
        f"Shuxin intake file benchmarks: python {platform.python_version()}, openpyxl "
        f"{openpyxl.__version__}, pandas {pd.__version__}, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    rows = bench(args.rows, args.repeats, args.seed, not args.skip_memory)
    return print_summary(rows, [], started)


if __name__ == "__main__":
    sys.exit(main())
