"""Make addresses_labelled.csv: Longyou's real village names written the ways 12345 work orders
write them, each with the village it names (seeded, deterministic).

    python tests/gis/data/make_addresses.py                 # writes addresses_labelled.csv here
    python tests/gis/data/make_addresses.py --rows 10000 --out /tmp/a.csv --seed 7

Columns: address, expected_village_code (empty: the address names no single village), note.

The names and codes are the real ones of ../shared/datasets/longyou/divisions.csv (288 villages
and communities in 15 townships); the writing is invented. This script knows the names only
from that file and its own simple rules (it does not call gis.address), so the test compares
the geocoder with an independent reading. Kinds of rows (the `note` starts with the kind):
- `plain`: a village with or without 浙江省/衢州市/龙游县, its township with or without suffix
  (or none), the village as 星火村, 星火村村民委员会, 星火村委会, 清廉社区居委会 ..., or bare
  (星火) where the bare name is no other place's; tails such as 3组12号, 下王自然村15号, 门口,
  村委会旁边; now and then spaces, full-width digits, punctuation; 十里坪一社区 also as
  十里坪1社区.
- `namesake`: the four names two villages share (新建村, 姜家村, 坑头村, 项家村): with the
  township the expected village, without it none (expected empty, both are candidates).
- `typo`: one character of the village's bare name replaced by another (never giving another
  real name); with the township in 70% of them.
- `negative`: no village: a real township with an invented village name at least two edits from
  every real one, another county (衢州市柯城区..., 江山市...), or no place (龙游县人民医院).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))  # `gis` when run as a script

DIVISIONS = Path("/work/shared/datasets/longyou/divisions.csv")
DIVISIONS_COPY = REPO / "data" / "boundaries" / "longyou_divisions.csv"  # byte-identical copy
BOUNDARIES = REPO / "data" / "boundaries"
HERE = Path(__file__).resolve().parent
LABELLED = HERE / "addresses_labelled.csv"
REGIONS = ("浙江省", "衢州市", "龙游县")
SEED = 20240415

_PREFIXES = [
    ("", 35),
    ("龙游县", 25),
    ("浙江省衢州市龙游县", 15),
    ("衢州市龙游县", 10),
    ("浙江省龙游县", 5),
    ("衢州龙游", 5),
    ("浙江衢州龙游县", 5),
]
_NATURAL = ["下王", "上徐", "后山", "里坞", "前畈", "东坑", "塘边", "岭头", "西坞", "枫树底"]
_NEGATIVE_PLACES = [
    "龙游县人民医院",
    "龙游县荣昌大道188号",
    "龙游县城区阳光花园3幢2单元301室",
    "龙游县中医院门口",
    "龙游县汽车站旁边",
    "衢州市柯城区荷花街道新华社区",
    "衢州市衢江区樟潭街道樟树潭社区",
    "江山市贺村镇贺村",
    "金华市兰溪市游埠镇",
    "杭州市西湖区文三路90号",
    "浙江省衢州市柯城区航埠镇",
    "12345热线转办",
    "不详",
    "龙游县太平东路12号",
    "龙游县文化路",
]
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_CN = "一二三四五六七八九"


@dataclass(frozen=True)
class Village:
    code: str
    official: str
    short: str  # 星火村, 清廉社区
    core: str  # 星火, 清廉
    community: bool
    township_code: str
    township: str  # 湖镇镇
    township_core: str  # 湖镇


def divisions_path() -> Path:
    """The shared divisions.csv, or the repository's byte-identical copy when it is missing."""
    return DIVISIONS if DIVISIONS.exists() else DIVISIONS_COPY


def read_divisions(path: Path | None = None) -> list[dict[str, str]]:
    """The rows of divisions.csv (level, code12, code, name, parent_code, township_name, kind)."""
    with (path or divisions_path()).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _township_core(name: str) -> str:
    for suffix in ("畲族乡", "街道", "镇", "乡"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def villages(rows: list[dict[str, str]]) -> list[Village]:
    """The villages of divisions.csv with their written forms, by this script's own rules."""
    townships = {r["code"]: r["name"] for r in rows if r["level"] == "township"}
    found = []
    for r in rows:
        if r["level"] != "village":
            continue
        name = r["name"]
        if name.endswith("村民委员会"):
            short = name.removesuffix("村民委员会")
        elif name.endswith("居民委员会"):
            short = name.removesuffix("居民委员会") + "社区"
        else:
            short = name
        community = short.endswith("社区")
        core = short.removesuffix("社区") if community else short.removesuffix("村")
        township = townships[r["parent_code"]]
        found.append(
            Village(
                r["code"],
                name,
                short,
                core,
                community,
                r["parent_code"],
                township,
                _township_core(township),
            )
        )
    return found


def namesakes(found: list[Village]) -> dict[str, list[Village]]:
    """Short names that more than one village has (新建村 in 东华街道 and in 湖镇镇 ...)."""
    by_short: dict[str, list[Village]] = {}
    for v in found:
        by_short.setdefault(v.short, []).append(v)
    return {short: vs for short, vs in by_short.items() if len(vs) > 1}


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (small strings; kept here so the generator needs no geocoder)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _far(invented: str, real: str) -> bool:
    """At least two edits apart (three when either has five or more characters): a name no
    one-edit typo of a real name could give."""
    return _edits(invented, real) >= (3 if max(len(invented), len(real)) >= 5 else 2)


class Writer:
    """Writes rows for the villages of one divisions file, from one seeded random generator."""

    def __init__(self, rows: list[dict[str, str]], seed: int) -> None:
        self.rng = random.Random(seed)
        self.villages = villages(rows)
        self.namesakes = namesakes(self.villages)
        cores = [v.core for v in self.villages] + [v.township_core for v in self.villages]
        counts = {c: cores.count(c) for c in set(cores)}
        # A bare name is written alone only when it is nobody else's bare name (溪口 is 溪口镇's
        # and 溪口村's; 方门街 is a 社区's and a 村's).
        self.bare_ok = {
            v.code
            for v in self.villages
            if len(v.core) >= 2 and counts[v.core] == 1 and v.core not in ("街道",)
        }
        self.real = {v.core for v in self.villages} | {v.short for v in self.villages}
        self.real |= {v.township_core for v in self.villages}
        self.chars = sorted({ch for v in self.villages for ch in v.core} - set("村社区街道"))

    def pick(self, weighted: list[tuple[str, int]]) -> str:
        return self.rng.choices([x for x, _ in weighted], [w for _, w in weighted])[0]

    def township_form(self, v: Village, *, required: bool = False) -> str:
        choice = self.pick([("official", 45), ("bare", 25), ("none", 0 if required else 30)])
        if choice == "official":
            return v.township
        return v.township_core if choice == "bare" else ""

    def village_form(self, v: Village, *, bare_allowed: bool) -> str:
        if v.community:
            forms = [
                (v.short, 50),
                (v.short + "居委会", 15),
                (v.core + "居委会", 5),
                (v.official if v.official != v.short else v.short + "居民委员会", 10),
            ]
        else:
            forms = [
                (v.short, 50),
                (v.official, 12),
                (v.short + "委会", 8),
                (v.short + "村委会", 8),
                (v.short + "民委员会", 2),
            ]
        if bare_allowed and v.code in self.bare_ok:
            forms.append((v.core, 15))
        written = self.pick(forms)
        if v.core[-1] in _CN and self.rng.random() < 0.3:  # 十里坪一社区 → 十里坪1社区
            written = written.replace(v.core, v.core[:-1] + str(_CN.index(v.core[-1]) + 1), 1)
        return written

    def tail(self) -> str:
        r = self.rng
        g, n = r.randint(1, 12), r.randint(1, 188)
        return self.pick(
            [
                ("", 25),
                (f"{g}组{n}号", 15),
                (f"{n}号", 10),
                (f"{r.choice(_NATURAL)}自然村", 8),
                (f"{r.choice(_NATURAL)}自然村{n}号", 7),
                ("门口", 6),
                ("旁边", 4),
                ("村委会旁边", 5),
                ("附近", 4),
                (f"第{g}村民小组", 5),
                (f"{n}号附近", 5),
                (f"{g}组", 6),
            ]
        )

    def noise(self, pieces: list[str]) -> str:
        r = self.rng
        pieces = [p for p in pieces if p]
        kind = self.pick([("none", 55), ("spaces", 20), ("punctuation", 10), ("full", 15)])
        if kind == "spaces":
            text = " ".join(pieces)
        elif kind == "punctuation":
            if len(pieces) > 2 and r.random() < 0.4:  # the tail in brackets: 星火村（3组12号）
                pieces = [*pieces[:-1], r.choice(["（{}）", "({})", "【{}】"]).format(pieces[-1])]
            marks = ["，", "、", ",", "：", "-"]
            text = pieces[0] + "".join(r.choice(marks) + p for p in pieces[1:])
        else:
            text = "".join(pieces)
        if kind == "full" or (kind != "none" and r.random() < 0.3):
            text = text.translate(_FULL_WIDTH)
        return text

    def plain(self, v: Village) -> tuple[str, str, str]:
        prefix = self.pick(_PREFIXES)
        township = self.township_form(v, required=v.short in self.namesakes)
        tail = self.tail()
        # A bare village name alone is rare and unclear; write it with its township or a number.
        bare_allowed = bool(township) or any(ch.isdigit() for ch in tail)
        village = self.village_form(v, bare_allowed=bare_allowed)
        text = self.noise([prefix, township, village, tail])
        return text, v.code, f"plain: {v.short} in {v.township}"

    def namesake(self, v: Village) -> tuple[str, str, str]:
        with_township = self.rng.random() < 0.5
        township = self.township_form(v, required=True) if with_township else ""
        others = "/".join(x.code for x in self.namesakes[v.short])
        text = self.noise([self.pick(_PREFIXES), township, v.short, self.tail()])
        if with_township:
            return text, v.code, f"namesake: {v.short} with {township}"
        return text, "", f"namesake: {v.short} without a township is {others}"

    def typo(self, v: Village) -> tuple[str, str, str] | None:
        r = self.rng
        for _ in range(20):
            at = r.randrange(len(v.core))
            wrong = v.core[:at] + r.choice(self.chars) + v.core[at + 1 :]
            short = wrong + ("社区" if v.community else "村")
            if wrong == v.core or wrong in self.real or short in self.real:
                continue  # another real name: no longer a typo anyone could undo
            with_township = r.random() < 0.7
            township = self.township_form(v, required=True) if with_township else ""
            text = self.noise([self.pick(_PREFIXES), township, short, self.tail()])
            where = f" with {township}" if township else ""
            return text, v.code, f"typo: {v.short} written {short}{where}"
        return None

    def negative(self) -> tuple[str, str, str]:
        r = self.rng
        if r.random() < 0.35:
            return r.choice(_NEGATIVE_PLACES), "", "negative: no village of Longyou"
        v = r.choice(self.villages)
        for _ in range(200):
            invented = "".join(r.choice(self.chars) for _ in range(r.choice((2, 2, 3))))
            if all(_far(invented, x.core) for x in self.villages):
                break
        prefix, township = self.pick(_PREFIXES), self.township_form(v, required=True)
        text = self.noise([prefix, township, invented + "村", self.tail()])
        return text, "", f"negative: invented {invented}村 in {v.township}"

    def rows(self, total: int) -> list[tuple[str, str, str]]:
        """About `total` rows: plain 83%, typo 8%, negative 6%, namesakes 3%, in a fixed order."""
        n_typo, n_negative = round(total * 0.08), round(total * 0.06)
        sakes = [v for vs in self.namesakes.values() for v in vs]
        n_sake = max(len(sakes) * 4, round(total * 0.03))
        n_plain = max(total - n_typo - n_negative - n_sake, len(self.villages))
        out = [self.plain(self.villages[i % len(self.villages)]) for i in range(n_plain)]
        out += [self.namesake(sakes[i % len(sakes)]) for i in range(n_sake)]
        while n_typo:
            row = self.typo(self.rng.choice(self.villages))
            if row:
                out.append(row)
                n_typo -= 1
        out += [self.negative() for _ in range(n_negative)]
        return out


def labelled_rows(total: int = 2400, *, seed: int = SEED) -> list[tuple[str, str, str]]:
    """(address, expected_village_code, note) rows, the same for the same total and seed."""
    return Writer(read_divisions(), seed).rows(total)


# --- the gazetteer the tests and the benchmark use -----------------------------------------------


def longyou_entries() -> list:
    """Gazetteer entries of Longyou's 15 townships, 288 villages and the demo's 1,312 grids.

    Names and codes: divisions.csv (real). Points: `point_on_surface` of the SYNTHETIC demo
    polygons in data/boundaries (WGS84), so every entry has a point inside its own area.
    """
    import shapely

    from gis.gazetteer import entries_from_areas

    points: dict[str, tuple[float, float]] = {}
    grids = []
    for level in ("townships", "villages", "grids"):
        data = json.loads((BOUNDARIES / f"longyou_{level}.geojson").read_text(encoding="utf-8"))
        for feature in data["features"]:
            p = shapely.geometry.shape(feature["geometry"]).point_on_surface()
            props = feature["properties"]
            points[props["code"]] = (round(p.x, 6), round(p.y, 6))
            if level == "grids":
                grids.append(("grid", props["code"], props["name"], props["parent_code"]))
    areas = [
        (r["level"], r["code"], r["name"], r["parent_code"])
        for r in read_divisions()
        if r["level"] in ("township", "village")
    ] + grids
    return entries_from_areas(
        (level, code, name, parent, *points.get(code, (None, None)))
        for level, code, name, parent in areas
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2400)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=LABELLED)
    args = parser.parse_args()
    rows = labelled_rows(args.rows, seed=args.seed)
    with args.out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["address", "expected_village_code", "note"])
        writer.writerows(rows)
    kinds: dict[str, int] = {}
    for _, _, note in rows:
        kind = note.split(":")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"{len(rows)} rows written to {args.out}: {kinds}")


if __name__ == "__main__":
    main()
