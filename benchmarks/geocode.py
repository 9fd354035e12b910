"""Geocoding throughput and quality: the local gazetteer on Longyou's real village names, each
figure printed beside references measured in the same run on the same addresses.

    .venv/bin/python benchmarks/geocode.py [--addresses N] [--repeats N] [--seed N]

Engine: `Gazetteer.geocode_many` over N addresses written by the labelled-set generator
(tests/gis/data/make_addresses.py, another seed than the committed CSV, so these rows are not
the ones the tests see). References: a plain `dict` lookup of each whole address among the
villages' official and short names (the floor of any lookup), and
`rapidfuzz.process.extractOne` alone (partial_ratio against the villages' short names, the
usual first try at fuzzy geocoding). Placement rate and wrong-village rate are printed for all
three. No database is needed. Exits 0 (a missed target is printed as MISSED); see
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks`, `gis`, `tests`
from benchmarks.common import Row, positive, print_summary, section

TARGET_S = 5.0  # 10,000 addresses
TARGET_PLACED = 0.95
EXTRACT_CUTOFF = 75  # partial_ratio below this: the reference places nothing


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} addr/s"


def _quality(
    placed: list[str | None], expected: list[str | None], confidence: list[float] | None = None
) -> dict[str, int]:
    """Counts: right (the expected village, or none where none is expected), wrong (a village
    that is not the expected one), and wrong at HIGH_CONFIDENCE when confidences are given."""
    from gis.gazetteer import HIGH_CONFIDENCE

    right = sum(p == e for p, e in zip(placed, expected, strict=True))
    wrong = [i for i, (p, e) in enumerate(zip(placed, expected, strict=True)) if p and p != e]
    high = sum(confidence[i] >= HIGH_CONFIDENCE for i in wrong) if confidence else 0
    return {"right": right, "wrong": len(wrong), "wrong_high": high}


def bench(n: int, repeats: int, seed: int) -> list[Row]:
    from rapidfuzz import fuzz, process

    from gis.address import short_name
    from gis.gazetteer import HIGH_CONFIDENCE, Gazetteer
    from tests.gis.data.make_addresses import (
        REGIONS,
        Writer,
        divisions_path,
        longyou_entries,
        read_divisions,
    )

    section(f"geocoding {n:,} addresses of Longyou's 288 villages")
    started = time.perf_counter()
    entries = longyou_entries()
    t0 = time.perf_counter()
    gazetteer = Gazetteer(entries=entries, regions=REGIONS)
    build_s = time.perf_counter() - t0
    divisions = read_divisions()
    rows = Writer(divisions, seed).rows(n)
    texts = [address for address, _, _ in rows]
    expected = [code or None for _, code, _ in rows]
    kinds = [note.split(":")[0] for _, _, note in rows]
    print(
        f"gazetteer: {len(gazetteer):,} entries (townships, villages, grids of {divisions_path()} "
        f"and the demo's grid names), built in {build_s * 1000:.0f} ms"
    )
    print(
        f"addresses: {len(texts):,} from the labelled generator, seed {seed} "
        f"({', '.join(f'{k} {c:,}' for k, c in Counter(kinds).items())}; "
        f"{len(set(texts)):,} distinct); set-up {time.perf_counter() - started:.1f} s"
    )

    villages = [e for e in entries if e.kind == "village"]
    lookup: dict[str, str] = {}
    for e in villages:
        lookup.setdefault(e.name, e.code)
        lookup.setdefault(short_name(e.name, "village"), e.code)
    shorts = [short_name(e.name, "village") for e in villages]
    codes = [e.code for e in villages]

    def engine() -> list:
        return gazetteer.geocode_many(texts)

    def reference_dict() -> list:
        return [lookup.get(text) for text in texts]

    def reference_extract() -> list:
        found = []
        for text in texts:
            best = process.extractOne(
                text, shorts, scorer=fuzz.partial_ratio, score_cutoff=EXTRACT_CUTOFF
            )
            found.append(codes[best[2]] if best else None)
        return found

    runs: dict[str, Callable[[], list]] = {
        "engine": engine,
        "dict": reference_dict,
        "extractOne": reference_extract,
    }
    # Untimed warm-up on a slice (rapidfuzz's and the parser's first calls).
    gazetteer.geocode_many(texts[:200])
    times: dict[str, list[float]] = {name: [] for name in runs}
    outputs: dict[str, list] = {}
    print(f"timing {repeats} rounds, rotating which goes first:")
    names = list(runs)
    for round_ in range(repeats):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            outputs.pop(name, None)
            gc.collect()
            t0 = time.perf_counter()
            outputs[name] = runs[name]()
            times[name].append(time.perf_counter() - t0)
        print(
            f"  round {round_ + 1}: "
            + "   ".join(
                f"{name} {times[name][-1]:6.3f} s ({_rate(n, times[name][-1]):>15})"
                for name in names
            )
        )
    t0 = time.perf_counter()
    one_by_one = [gazetteer.geocode(text) for text in texts]
    single_s = time.perf_counter() - t0
    seconds = {name: median(values) for name, values in times.items()}
    for name in names:
        print(f"median {name:<10} {seconds[name]:.3f} s = {_rate(n, seconds[name])}")
    print(f"engine one address at a time (geocode, once): {single_s:.3f} s = {_rate(n, single_s)}")

    results = outputs["engine"]
    if [r.village_code for r in results] != [r.village_code for r in one_by_one]:
        print("WARNING: geocode and geocode_many disagree on some addresses")
    engine_q = _quality(
        [r.village_code for r in results], expected, [r.confidence for r in results]
    )
    dict_q = _quality(outputs["dict"], expected)
    extract_q = _quality(outputs["extractOne"], expected)
    print(f"quality (right = the expected village, or no village where none is expected), n={n:,}:")
    for name, q in (("engine", engine_q), ("dict", dict_q), ("extractOne", extract_q)):
        high = f"   wrong at confidence >= {HIGH_CONFIDENCE}: {q['wrong_high']}"
        print(
            f"  {name:<10} right {q['right'] / n:7.2%}   wrong village {q['wrong'] / n:7.2%} "
            f"({q['wrong']:,}){high if name == 'engine' else ''}"
        )
    by_kind: dict[str, Counter] = {}
    for kind, r, e in zip(kinds, results, expected, strict=True):
        tally = by_kind.setdefault(kind, Counter())
        tally["rows"] += 1
        tally["right"] += r.village_code == e
        tally["high"] += bool(r.village_code) and r.confidence >= HIGH_CONFIDENCE
    print("engine by kind of row:")
    for kind, t in by_kind.items():
        print(
            f"  {kind:<9} {t['right'] / t['rows']:6.1%} right of {t['rows']:,}; "
            f"{t['high'] / t['rows']:.0%} given a village at high confidence"
        )
    levels = Counter(r.level.value for r in results)
    print("engine levels: " + ", ".join(f"{level} {c:,}" for level, c in levels.most_common()))

    placed = engine_q["right"] / n
    target_s = TARGET_S * n / 10_000
    return [
        Row(
            f"geocode_many, {n:,} addresses",
            f"{seconds['engine']:.3f} s ({_rate(n, seconds['engine'])})",
            f"dict {_rate(n, seconds['dict'])}; extractOne {_rate(n, seconds['extractOne'])}",
            f"< {target_s:g} s",
            seconds["engine"] < target_s,
        ),
        Row(
            "placed in the right village (or rightly none)",
            f"{placed:.2%}",
            f"dict {dict_q['right'] / n:.2%}; extractOne {extract_q['right'] / n:.2%}",
            f">= {TARGET_PLACED:.0%}",
            placed >= TARGET_PLACED,
        ),
        Row(
            f"wrong village at confidence >= {HIGH_CONFIDENCE}",
            f"{engine_q['wrong_high']}",
            f"extractOne wrong {extract_q['wrong']:,} (no confidence)",
            "0",
            engine_q["wrong_high"] == 0,
        ),
        Row(
            "wrong village at any confidence",
            f"{engine_q['wrong'] / n:.2%} ({engine_q['wrong']:,})",
            f"dict {dict_q['wrong'] / n:.2%}; extractOne {extract_q['wrong'] / n:.2%}",
            "-",
            None,
        ),
        Row(
            "geocode one address at a time",
            f"{single_s:.3f} s ({_rate(n, single_s)})",
            f"geocode_many {_rate(n, seconds['engine'])}",
            "-",
            None,
        ),
        Row("build the gazetteer", f"{build_s * 1000:.0f} ms", "-", "-", None),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addresses", type=positive, default=10_000)
    parser.add_argument("--repeats", type=positive, default=3, help="timed rounds (default 3)")
    parser.add_argument("--seed", type=int, default=20241126)
    args = parser.parse_args(argv)

    import rapidfuzz

    started = time.perf_counter()
    print(
        f"Shuxin geocoding benchmark: python {platform.python_version()}, rapidfuzz "
        f"{rapidfuzz.__version__}, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return print_summary(bench(args.addresses, args.repeats, args.seed), [], started)


if __name__ == "__main__":
    sys.exit(main())
