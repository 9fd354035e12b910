"""A local gazetteer: turn a Chinese address into a place, a point and its codes, offline.

Government intranets reach no online geocoder, so the names of the active boundary set
(townships, villages, grids) and any roads, compounds, POIs and door plates the township keeps
are indexed here, in memory, and an address is matched against them. Points are WGS84 lon/lat
degrees (EPSG:4326): the representative point of the place found.

How an address is placed (`Gazetteer.geocode`), after `gis.address` has parsed it:
1. Exact names first: the township and village forms found leftmost-longest in the text
   (official, short and bare names, aliases and merged villages' old names, see
   `gis.address.name_forms`).
2. The village decides the level, the township confirms it:
   - a village named together with its own township: 0.95 (0.90 written bare, "湖镇星火");
   - a village name that is unique in the county, no township written: 0.85 (0.65 bare, since
     a bare "大路" or "新光" is also an ordinary word);
   - a village name shared by several villages (新建村 in two townships): the written township
     picks one; without it the result is not a village: the township they share (at the
     township's score) or none (0), with every one of them as a candidate;
   - a village whose written township is another one: 0.40, unless that township has a village
     one edit away from the written name (then the township, both as candidates);
   - a suffixed name inside an unknown word ("湖低叶村村委会": 叶村村 inside 湖低叶村) is read
     both ways: the exact name at 0.60 when no other village is one edit from the longer
     reading; a village one edit away (湖底叶村) when it, not the exact one, is in the written
     township; otherwise no village, both as candidates.
3. Fuzzy only where exact fails: the written village name (found by its suffix, or the word
   after a known township) is compared by edit distance (rapidfuzz Levenshtein) with the bare
   names of the villages of the written township, or of the whole county without one. One
   edit is allowed (two for names of five or more characters); the closest village must be
   the only one at that distance. A fuzzy village scores 0.60 with its township written, 0.50
   without: never HIGH_CONFIDENCE, a person confirms it.
4. A finer place (door plate, POI, compound, road, grid) named in the text and consistent with
   the township and village found raises the level to it: 0.95 when the township or village
   found with it is itself at HIGH_CONFIDENCE, 0.90 otherwise. Door plates are looked up as
   road + number (人民路8号) or village + number (星火村12号), grids also by number within the
   village (星火村第3网格); found through the village's name, they score no more than it.
5. A township alone: 0.90 written with its suffix, 0.75 bare, 0.60 when the bare name is also a
   village's ("溪口": 溪口镇, with 溪口村 as a candidate). A county, district or city that is not
   among the gazetteer's regions ("衢州市柯城区...") places nothing (none, 0).

Scores are in [0, 1]; at or above HIGH_CONFIDENCE (0.8) only exact matches that nothing in the
text contradicts. Several different villages named in one address cap the score at 0.50.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from gis.address import (
    AddressParser,
    AddressParts,
    NameMatch,
    Part,
    core_name,
    name_forms,
    normalize,
    short_name,
)
from gis.router import check_lon_lat

HIGH_CONFIDENCE = 0.8
"""A result at or above this is an exact match that nothing in the address contradicts."""

# The scores of the rules in the module docstring, in one place.
VILLAGE_WITH_TOWNSHIP = 0.95
VILLAGE_WITH_TOWNSHIP_BARE = 0.90
VILLAGE_ALONE = 0.85
VILLAGE_ALONE_BARE = 0.65
VILLAGE_IN_UNKNOWN_WORD = 0.60
VILLAGE_FUZZY_WITH_TOWNSHIP = 0.60
VILLAGE_FUZZY = 0.50
VILLAGE_ELSEWHERE = 0.40
SEVERAL_VILLAGES_CAP = 0.50
PLACE_CONFIRMED = 0.95
PLACE_ALONE = 0.90
TOWNSHIP = 0.90
TOWNSHIP_BARE = 0.75
TOWNSHIP_OR_VILLAGE = 0.60

MAX_CANDIDATES = 5
_NOTHING = "no township, village or place of the gazetteer is named"
_FUZZY_CUTOFF = 2  # the most edits ever allowed (names of five or more characters)
_GRID_NUMBER = re.compile(r"第?([0-9]+)网格$")
_CJK_RUN = re.compile(r"^[\u4e00-\u9fff]{2,5}")


class PlaceKind(StrEnum):
    """What a gazetteer entry is."""

    township = "township"
    village = "village"
    grid = "grid"
    doorplate = "doorplate"
    road = "road"
    poi = "poi"
    compound = "compound"
    alias = "alias"  # another name of the entry `parent_code` names (a merged village's old name)


class GeocodeLevel(StrEnum):
    """How far down an address was placed, finest first."""

    doorplate = "doorplate"
    poi = "poi"
    compound = "compound"
    road = "road"
    grid = "grid"
    village = "village"
    township = "township"
    none = "none"


_KIND_PART = {
    PlaceKind.township: Part.township,
    PlaceKind.village: Part.village,
    PlaceKind.grid: Part.place,
    PlaceKind.road: Part.place,
    PlaceKind.poi: Part.place,
    PlaceKind.compound: Part.place,
}
# Finer places named in one address: the finest wins (doorplates are looked up, not named).
_PLACE_ORDER = (PlaceKind.poi, PlaceKind.compound, PlaceKind.road, PlaceKind.grid)


@dataclass(frozen=True)
class GazetteerEntry:
    """One named place. lon/lat: its representative point, WGS84 degrees (None for an alias).

    township_code and village_code may be left out: they are filled in from parent_code (a
    village's parent is its township, a grid's its village, a road's or POI's either).
    """

    kind: PlaceKind
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    parent_code: str | None = None
    township_code: str | None = None
    village_code: str | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class Candidate:
    """A place a person may choose, with the score it would have as the answer; lon/lat WGS84."""

    code: str
    name: str
    kind: PlaceKind
    score: float
    township_code: str | None
    village_code: str | None
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class GeocodeResult:
    """Where an address was placed. lon/lat: WGS84 degrees, None when nothing was placed."""

    text: str
    level: GeocodeLevel
    confidence: float
    lon: float | None
    lat: float | None
    code: str | None  # the code of the place found (township, village, grid, POI ...)
    name: str | None  # its short name
    township_code: str | None
    village_code: str | None
    grid_code: str | None
    candidates: tuple[Candidate, ...]
    why: str
    parts: AddressParts | None = field(default=None, repr=False, compare=False)

    @property
    def is_high(self) -> bool:
        """True when the result may be used without a person checking it."""
        return self.confidence >= HIGH_CONFIDENCE


@dataclass
class _Plan:
    """An address on its way: what the exact names gave, and the fuzzy questions to ask."""

    parts: AddressParts
    townships: list[int]
    pool: str | None  # the township code whose villages fuzzy matching looks at; None: all
    queries: list[str]


@dataclass
class _Choice:
    """The village an address names, or why there is none, and the other candidates."""

    village: int | None
    score: float
    why: str
    others: list[int] = field(default_factory=list)
    same_name: bool = False  # the candidates are namesakes (an exact name shared), not guesses


class Gazetteer:
    """An immutable index of named places; see the module docstring for how it places text."""

    def __init__(self, *, entries: Iterable[GazetteerEntry], regions: Sequence[str] = ()) -> None:
        if isinstance(regions, str):
            raise TypeError(f"regions must be a list of names, got the string {regions!r}")
        self.regions = tuple(regions)
        self.entries: tuple[GazetteerEntry, ...] = _complete(list(entries))
        self._by_code = {e.code: i for i, e in enumerate(self.entries)}
        self._index: dict[tuple[Part, str], list[int]] = defaultdict(list)
        self._doorplates: dict[str, list[int]] = defaultdict(list)
        self._grids: dict[tuple[str, str], int] = {}
        names: dict[Part, list[str]] = defaultdict(list)
        # Fuzzy pools: the bare names of the villages (and of their aliases), per township and
        # for the whole gazetteer (None). Suffix words count here ("街道社区" is 街道).
        pools: dict[str | None, list[tuple[str, int]]] = defaultdict(list)

        def add(name: str, target: int) -> None:
            entry = self.entries[target]
            if entry.kind is PlaceKind.doorplate:
                self._doorplates[normalize(name)].append(target)
                return
            part = _KIND_PART[entry.kind]
            names[part].append(name)
            core = core_name(name, entry.kind.value)
            if part is Part.village and len(core) >= 2:
                pools[None].append((core, target))
                pools[entry.township_code].append((core, target))
            for key, _ in name_forms(name, entry.kind.value):
                if target not in self._index[(part, key)]:
                    self._index[(part, key)].append(target)

        for i, entry in enumerate(self.entries):
            if entry.kind is PlaceKind.alias:
                add(entry.name, self._by_code[entry.parent_code or ""])
                continue
            for name in (entry.name, *entry.aliases):
                add(name, i)
            if entry.kind is PlaceKind.grid and entry.village_code:
                number = _GRID_NUMBER.search(normalize(entry.name))
                if number:
                    self._grids[(entry.village_code, str(int(number.group(1))))] = i

        self._parser = AddressParser(
            regions=self.regions,
            townships=names[Part.township],
            villages=names[Part.village],
            places=names[Part.place],
        )
        self._pools = {
            code: ([key for key, _ in pairs], np.array([t for _, t in pairs], dtype="int64"))
            for code, pairs in pools.items()
        }

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, code: str) -> GazetteerEntry:
        """The entry with this code; KeyError naming the code if there is none."""
        try:
            return self.entries[self._by_code[code]]
        except KeyError:
            raise KeyError(f"no gazetteer entry has the code {code!r}") from None

    def parse(self, text: str) -> AddressParts:
        """The parts of an address, read against this gazetteer's names."""
        return self._parser.parse(text)

    # -- geocoding -------------------------------------------------------------------------------

    def geocode(self, text: str) -> GeocodeResult:
        """Place one address (rules in the module docstring); the point is WGS84 lon/lat."""
        return self.geocode_many([text])[0]

    def geocode_many(self, texts: Iterable[str]) -> list[GeocodeResult]:
        """Place many addresses, one result each in order; repeated texts are placed once and
        the fuzzy comparisons of all of them run as one matrix per township."""
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] must be a str, got {type(text).__name__}")
        plans = {text: self._plan(self._parser.parse(text)) for text in dict.fromkeys(texts)}
        distances = self._fuzzy(plans)
        done = {text: self._finish(plan, distances.get(text, {})) for text, plan in plans.items()}
        return [done[text] for text in texts]

    def _plan(self, parts: AddressParts) -> _Plan:
        townships = self._targets(parts.township) if parts.township else []
        pool = self.entries[townships[0]].code if len(townships) == 1 else None
        plan = _Plan(parts, townships, pool, [])
        village = parts.village
        if parts.foreign_region:
            return plan
        if village is None:
            if townships:  # the word after the township: "湖镇星伙3组"
                run = _CJK_RUN.match(parts.rest)
                if run:
                    plan.queries.append(run.group())
        elif village.key is None:  # an unknown name found by its suffix: "星伙村"
            plan.queries += _written_cores(village.text)
        elif not village.bounded and village.prefix:
            # 湖低叶村村委会: read 湖低叶村 and 低叶村 too (1-3 characters before the name).
            for k in range(1, len(village.prefix) + 1):
                plan.queries += _written_cores(village.prefix[-k:] + village.text)
        elif townships and not self._in(self._targets(village), townships):
            plan.queries += _written_cores(village.text)  # 湖镇镇上溪村: 上溪头村 is in 湖镇镇
        return plan

    def _fuzzy(self, plans: dict[str, _Plan]) -> dict[str, dict[int, int]]:
        """For each text, the villages within the allowed edits of any of its questions, with
        the fewest edits; all questions on one pool are answered by one rapidfuzz matrix."""
        asked: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
        for text, plan in plans.items():
            for query in dict.fromkeys(q for q in plan.queries if len(q) >= 2):
                asked[plan.pool].append((text, query))
        found: dict[str, dict[int, int]] = defaultdict(dict)
        for pool, pairs in asked.items():
            if pool not in self._pools:
                continue  # a township without villages
            choices, targets = self._pools[pool]
            queries = [q for _, q in pairs]
            matrix = process.cdist(
                queries,
                choices,
                scorer=Levenshtein.distance,
                score_cutoff=_FUZZY_CUTOFF,
                dtype=np.int32,
            )
            longest = np.maximum(
                np.array([len(q) for q in queries])[:, None],
                np.array([len(c) for c in choices])[None, :],
            )
            allowed = np.where(longest >= 5, 2, 1)
            rows, cols = np.nonzero(matrix <= allowed)
            for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
                text, target, edits = pairs[row][0], int(targets[col]), int(matrix[row, col])
                best = found[text]
                best[target] = min(edits, best.get(target, edits))
        return found

    # -- deciding --------------------------------------------------------------------------------

    def _targets(self, match: NameMatch) -> list[int]:
        if match.key is None:
            return []
        return list(self._index.get((match.part, match.key), ()))

    def _in(self, villages: list[int], townships: list[int]) -> list[int]:
        codes = {self.entries[t].code for t in townships}
        return [v for v in villages if self.entries[v].township_code in codes]

    def _finish(self, plan: _Plan, fuzzy: dict[int, int]) -> GeocodeResult:
        parts = plan.parts
        if parts.foreign_region:
            return self._result(
                parts, None, 0.0, [], f"outside the gazetteer's area: {parts.foreign_region}"
            )
        choice = self._village(plan, fuzzy)
        townships = plan.townships
        township = townships[0] if len(townships) == 1 else None
        if choice.village is not None:
            result = self._result(parts, choice.village, choice.score, choice.others, choice.why)
        elif township is not None and parts.township is not None:
            score = TOWNSHIP if parts.township.suffixed else TOWNSHIP_BARE
            others, why = choice.others, choice.why or f"township {parts.township.text}"
            if not others and not parts.township.suffixed:
                # "溪口" is 溪口镇, but 溪口村 is written the same way: a candidate.
                others = [
                    v
                    for v in self._index.get((Part.village, parts.township.key or ""), ())
                    if self.entries[v].township_code == self.entries[township].code
                ]
                if others:
                    score = TOWNSHIP_OR_VILLAGE
                    why = f"{parts.township.text}: the township, also a village's bare name"
            result = self._result(parts, township, score, others, why)
        else:
            shared = {self.entries[v].township_code for v in choice.others}
            if choice.same_name and len(shared) == 1 and shared <= self._by_code.keys():
                # Namesakes in one township (方门街社区, 方门街村): the township is certain.
                township = self._by_code[shared.pop()]
                result = self._result(parts, township, TOWNSHIP, choice.others, choice.why)
            else:
                result = self._result(parts, None, 0.0, choice.others, choice.why)
        return self._finer(parts, result, choice.village)

    def _village(self, plan: _Plan, fuzzy: dict[int, int]) -> _Choice:
        """The village rules of the module docstring."""
        parts, townships = plan.parts, plan.townships
        match = parts.village
        tname = parts.township.text if parts.township else ""
        if match is not None and match.key is not None:
            exact = self._targets(match)
            written = match.text
            inside = self._in(exact, townships) if townships else exact
            if not match.bounded and match.prefix:
                choice = self._in_unknown_word(plan, fuzzy, exact, inside)
            elif len(inside) == 1:
                if townships:
                    score = VILLAGE_WITH_TOWNSHIP if match.suffixed else VILLAGE_WITH_TOWNSHIP_BARE
                    why = f"village {written} with its township {tname}"
                else:
                    score = VILLAGE_ALONE if match.suffixed else VILLAGE_ALONE_BARE
                    why = f"village {written}, the only one of that name"
                choice = _Choice(inside[0], score, why)
            elif inside:
                where = f"in {tname} " if townships else ""
                why = f"{len(inside)} villages {where}are written {written}"
                return _Choice(None, 0.0, why, inside, same_name=True)
            elif (near := self._unique(fuzzy)) is not None:
                why = f"{written} is not in {tname}, but {self._short(near)} there is one edit away"
                return _Choice(None, 0.0, why, [near, *exact])
            elif len(exact) == 1:
                where = self._township_name(exact[0])
                why = f"village {written} is in {where}, not in {tname} as written"
                choice = _Choice(exact[0], VILLAGE_ELSEWHERE, why)
            else:
                return _Choice(None, 0.0, f"no village {written} in {tname}", exact)
        else:
            best = self._unique(fuzzy)
            written = match.text if match is not None else parts.rest
            if best is None:
                near = sorted(fuzzy, key=lambda v: (fuzzy[v], self.entries[v].code))
                why = f"{written} is as close to {len(near)} villages" if near else ""
                return _Choice(None, 0.0, why, near)
            score = VILLAGE_FUZZY_WITH_TOWNSHIP if townships else VILLAGE_FUZZY
            where = f" in {tname}" if townships else ""
            choice = _Choice(best, score, f"{written} read as {self._short(best)}{where}")
        if choice.village is None:
            return choice
        # Several different villages named in one address: none of them is certain.
        extra = self._other_villages(parts, choice.village)
        if extra:
            return _Choice(
                choice.village,
                min(choice.score, SEVERAL_VILLAGES_CAP),
                choice.why + "; other villages are named too",
                [*choice.others, *extra],
            )
        return choice

    def _in_unknown_word(
        self, plan: _Plan, fuzzy: dict[int, int], exact: list[int], inside: list[int]
    ) -> _Choice:
        """A suffixed village name inside an unknown word ("湖低叶村村委会" holds 叶村村): the
        exact name, or a longer name one edit away (湖底叶村), whichever the township allows."""
        match, townships = plan.parts.village, plan.townships
        if match is None:
            return _Choice(None, 0.0, "")
        written = match.prefix + match.text
        near = {v: d for v, d in fuzzy.items() if v not in exact}
        best = self._unique(near)
        if len(inside) == 1 and not near:
            return _Choice(inside[0], VILLAGE_IN_UNKNOWN_WORD, f"{match.text} inside {written}")
        if townships and not inside and best is not None:
            score = VILLAGE_FUZZY_WITH_TOWNSHIP
            return _Choice(best, score, f"{written} read as {self._short(best)}", exact)
        why = f"{written}: {match.text}, or a longer name one edit away"
        return _Choice(None, 0.0, why, [*inside, *sorted(near, key=near.__getitem__)])

    def _other_villages(self, parts: AddressParts, chosen: int) -> list[int]:
        """The villages besides `chosen` that the address also names (namesakes all count)."""
        found: list[int] = []
        for match in parts.other_villages:
            targets = self._targets(match)
            if chosen not in targets:
                found += targets
        return found

    def _is_road(self, match: NameMatch) -> bool:
        return any(self.entries[i].kind is PlaceKind.road for i in self._targets(match))

    def _unique(self, distances: dict[int, int]) -> int | None:
        """The only village at the fewest edits, or None when there is no single one."""
        if not distances:
            return None
        fewest = min(distances.values())
        at = [v for v, d in distances.items() if d == fewest]
        return at[0] if len(at) == 1 else None

    def _finer(
        self, parts: AddressParts, result: GeocodeResult, village: int | None
    ) -> GeocodeResult:
        """Raise the result to a door plate, POI, compound, road or grid named in the text and
        consistent with the township and village of `result`."""
        t_code, v_code = result.township_code, result.village_code

        def fits(i: int) -> bool:
            entry = self.entries[i]
            return (not t_code or entry.township_code in (None, t_code)) and (
                not v_code or entry.village_code in (None, v_code)
            )

        found: list[int] = []
        through_village = False  # found by the village's name: no surer than the village
        if parts.number:
            # Door plates are named road + number (人民路8号) or village + number (星火村12号).
            roads = [m.key for m in parts.places if m.key and self._is_road(m)]
            roads += [parts.road] if parts.road else []
            keys = [(f"{road}{parts.number}号", False) for road in roads]
            if village is not None:
                short = self._short(village)
                if parts.group:
                    keys.append((f"{short}{parts.group}组{parts.number}号", True))
                keys.append((f"{short}{parts.number}号", True))
            for key, by_village in keys:
                found = [i for i in self._doorplates.get(key, ()) if fits(i)]
                if found:
                    through_village = by_village
                    break
        if not found:
            named = [i for m in parts.places for i in self._targets(m) if fits(i)]
            if village is not None and parts.grid:
                grid = self._grids.get((self.entries[village].code, parts.grid))
                if grid is not None:
                    named.append(grid)
                    through_village = True
            for kind in _PLACE_ORDER:
                found = list(dict.fromkeys(i for i in named if self.entries[i].kind is kind))
                if found:
                    break
        if not found:
            return result
        if len(found) > 1:
            extra = tuple(self._candidate(i, PLACE_ALONE / len(found)) for i in found)
            return replace(
                result,
                candidates=(extra + result.candidates)[:MAX_CANDIDATES],
                why=f"{result.why}; {len(found)} places fit the rest of the address",
            )
        score = PLACE_CONFIRMED if result.is_high else PLACE_ALONE
        if through_village:
            score = min(score, result.confidence)
        why = f"{self.entries[found[0]].kind.value} {self._short(found[0])}"
        why = f"{why}; {result.why}" if result.why != _NOTHING else why
        return self._result(parts, found[0], score, [], why)

    # -- building results ------------------------------------------------------------------------

    def _short(self, i: int) -> str:
        entry = self.entries[i]
        return short_name(entry.name, entry.kind.value)

    def _core(self, i: int) -> str:
        entry = self.entries[i]
        return core_name(entry.name, entry.kind.value)

    def _township_name(self, i: int) -> str:
        code = self.entries[i].township_code
        return self._short(self._by_code[code]) if code in self._by_code else str(code)

    def _candidate(self, i: int, score: float) -> Candidate:
        e = self.entries[i]
        return Candidate(
            code=e.code,
            name=self._short(i),
            kind=e.kind,
            score=round(score, 3),
            township_code=e.township_code,
            village_code=e.village_code if e.kind is not PlaceKind.village else e.code,
            lon=e.lon,
            lat=e.lat,
        )

    def _result(
        self,
        parts: AddressParts,
        chosen: int | None,
        score: float,
        others: Sequence[int],
        why: str,
    ) -> GeocodeResult:
        alternatives = [i for i in dict.fromkeys(others) if i != chosen]
        # The candidates after the first share what the answer leaves open: 1 - score, or, with
        # no answer, what a village alone would score.
        rest = (1 - score) if chosen is not None else VILLAGE_ALONE
        share = rest / max(len(alternatives), 1)
        candidates = [self._candidate(chosen, score)] if chosen is not None else []
        candidates += [self._candidate(i, share) for i in alternatives]
        candidates = candidates[:MAX_CANDIDATES]
        if chosen is None:
            return GeocodeResult(
                text=parts.text,
                level=GeocodeLevel.none,
                confidence=0.0,
                lon=None,
                lat=None,
                code=None,
                name=None,
                township_code=None,
                village_code=None,
                grid_code=None,
                candidates=tuple(candidates),
                why=why or _NOTHING,
                parts=parts,
            )
        e = self.entries[chosen]
        return GeocodeResult(
            text=parts.text,
            level=GeocodeLevel(e.kind.value),
            confidence=round(score, 3),
            lon=e.lon,
            lat=e.lat,
            code=e.code,
            name=self._short(chosen),
            township_code=e.code if e.kind is PlaceKind.township else e.township_code,
            village_code=e.code if e.kind is PlaceKind.village else e.village_code,
            grid_code=e.code if e.kind is PlaceKind.grid else None,
            candidates=tuple(candidates),
            why=why,
            parts=parts,
        )


_COMMITTEE_TAIL = re.compile(r"(?:村民委员会|居民委员会|村委会|居委会|委会)$")


def _written_cores(text: str) -> list[str]:
    """The bare names an unknown village word may have: 双大新村村 → 双大新村 and 双大新,
    星伙村村委会 → 星伙 (a village suffix may belong to the name)."""
    text = _COMMITTEE_TAIL.sub("", text)
    cores = []
    while len(text) > 2 and text.endswith(("村", "社区")):
        text = text[:-2] if text.endswith("社区") else text[:-1]
        cores.append(text)
    return cores or [text]


def _complete(entries: list[GazetteerEntry]) -> tuple[GazetteerEntry, ...]:
    """Check the entries and fill in township_code and village_code from the parent chain."""
    by_code: dict[str, GazetteerEntry] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, GazetteerEntry):
            raise TypeError(f"entries[{i}] must be a GazetteerEntry, got {type(entry).__name__}")
        kind = PlaceKind(entry.kind)
        if not entry.code or not normalize(entry.name):
            raise ValueError(
                f"entries[{i}] needs a code and a name, got code={entry.code!r}, "
                f"name={entry.name!r}"
            )
        if entry.code in by_code:
            raise ValueError(
                f"entries[{i}] ({entry.name}) has the code {entry.code}, already used by "
                f"{by_code[entry.code].name}; codes must be unique"
            )
        if (entry.lon is None) != (entry.lat is None):
            raise ValueError(
                f"entries[{i}] ({entry.name}) has only one of lon, lat; give both or neither"
            )
        if entry.lon is not None and entry.lat is not None:
            check_lon_lat(float(entry.lon), float(entry.lat))
        if kind is PlaceKind.alias and not entry.parent_code:
            raise ValueError(
                f"entries[{i}] is the alias {entry.name} without parent_code; set parent_code "
                "to the code of the place it names"
            )
        by_code[entry.code] = replace(entry, kind=kind, aliases=tuple(entry.aliases))

    def codes(entry: GazetteerEntry, seen: frozenset[str]) -> tuple[str | None, str | None]:
        if entry.kind is PlaceKind.township:
            return entry.code, None
        parent = by_code.get(entry.parent_code or "")
        if parent is None or parent.code in seen:
            return entry.township_code, entry.village_code
        if parent.kind is PlaceKind.township:
            return entry.township_code or parent.code, entry.village_code
        up_township, up_village = codes(parent, seen | {entry.code})
        if parent.kind is PlaceKind.village:
            up_village = parent.code
        return entry.township_code or up_township, entry.village_code or up_village

    done = []
    for entry in by_code.values():
        if entry.kind is PlaceKind.alias:
            target = by_code.get(entry.parent_code or "")
            if target is None or target.kind is PlaceKind.alias:
                what = "no entry" if target is None else "another alias"
                raise ValueError(
                    f"the alias {entry.name} ({entry.code}) names parent_code "
                    f"{entry.parent_code}, which is {what}; point it at the place itself"
                )
            done.append(entry)
            continue
        township_code, village_code = codes(entry, frozenset())
        done.append(replace(entry, township_code=township_code, village_code=village_code))
    return tuple(done)


def entries_from_areas(
    areas: Iterable[tuple[str, str, str, str | None, float | None, float | None]],
) -> list[GazetteerEntry]:
    """Gazetteer entries from boundary areas: (level, code, name, parent_code, lon, lat) rows,
    level township, village or grid, lon/lat the area's representative point in WGS84."""
    entries = []
    for i, (level, code, name, parent_code, lon, lat) in enumerate(areas):
        try:
            kind = PlaceKind(level)
        except ValueError:
            raise ValueError(
                f"areas[{i}] ({name}) has the level {level!r}; use township, village or grid"
            ) from None
        if kind not in (PlaceKind.township, PlaceKind.village, PlaceKind.grid):
            raise ValueError(
                f"areas[{i}] ({name}) has the level {level!r}; use township, village or grid"
            )
        entries.append(
            GazetteerEntry(
                kind=kind, code=str(code), name=name, parent_code=parent_code, lon=lon, lat=lat
            )
        )
    return entries
