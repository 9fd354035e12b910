"""Normalise and parse Chinese addresses the way 12345 work orders and grid reports write them.

Pure string work, no network (government intranets reach no online geocoder) and no place
baked in: the caller passes the names it knows (the gazetteer passes its regions, townships,
villages and places); Longyou is only what the demo passes.

Normalising (`normalize`): NFKC, so full-width digits, letters and punctuation become ASCII
("３组１２号" → "3组12号"); letters upper-cased ("a座" → "A座"); "#" after a digit read as 号
("12#" → "12号"); then everything but CJK ideographs, ASCII letters and digits is dropped:
spaces, commas, brackets, dots. A dash survives only between digits ("12-3号").

The written forms of a name (`name_forms`), each marked suffixed or bare:
- region (province, city, county): "衢州市" (suffixed) and "衢州" (bare);
- township: "湖镇镇", "沐尘畲族乡", "沐尘乡" (suffixed) and "湖镇", "沐尘" (bare);
- village: "山底村村民委员会", "山底村", "山底村委会", "山底村村委会", "山底村民委员会",
  "清廉社区", "清廉社区居委会", "清廉居委会", "清廉居民委员会" (suffixed) and "山底", "清廉"
  (bare); a core ending in a Chinese numeral also with the digit ("十里坪一社区" → "十里坪1社区");
- any other place (road, compound, POI, grid): its name as written.
A bare form shorter than 2 characters, or one that is itself a suffix word ("街道", "社区"),
is not a form: "街道居民委员会" is found as "街道社区" or "街道居委会", never as "街道".

How `AddressParser.parse` reads an address:
1. Known forms are found leftmost-longest over the normalised text ("湖镇镇" before "湖镇";
   "上杨村村" before "杨村村"). A village form swallows a tail such as 村委会 or 委会 after it.
2. A bare form counts only where a word can start: at the start of the text, right after
   another name, or after a digit or letter; not inside an unknown word ("荣昌大街" holds no
   大街乡). It does not count either when a road, compound or 自然村 suffix follows it
   ("龙洲路", "阳光花园", "大路自然村": a road, a compound and a natural village named after
   the place) unless a known name starts there ("东华街路村" is 东华 and 街路村); nor, for a
   village, when one or two more characters and a village suffix follow ("上溪斗村" is an
   unknown village, not 上溪村 plus noise).
3. A suffixed form inside an unknown word still counts but is marked unbounded, with the
   unknown characters before it as `prefix` ("湖低叶村村委会": 叶村村 with prefix 湖低): the
   gazetteer decides whether it is a typo of a longer name.
4. Roles: region forms are dropped into `region`; the first township form is the township; a
   bare form that is both a township and a village ("溪口") is the township unless a township
   was named before it; the first village form is the village, later suffixed ones are
   `other_villages`, later bare ones are left as text (a natural village, a landmark).
5. In the text left over: a 自然村, a 村民小组 (组/队), a grid (第N网格); when no township is
   known, an unknown one by its suffix (镇/乡/街道); when no village is known, an unknown one
   by its suffix (村/社区/村委会...), as long as it can be ("双大新村村": the gazetteer reads
   双大新村 and 双大新 in it); then a compound (小区/花园/苑/公寓...), a road
   (路/街/大道/巷/弄), the door number (号), building (幢/栋/号楼/座), unit (单元) and room
   (室). What is still left is `rest` ("门口", "旁边").
6. A county, district or city that is not among the regions, right after the regions or at the
   start ("衢州市柯城区...", "江山市..."), is `foreign_region`: the address is elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Part(StrEnum):
    """What a known name stands for in an address."""

    region = "region"  # province, city or county: dropped
    township = "township"  # 乡镇/街道
    village = "village"  # 村/社区
    place = "place"  # road, compound, POI, grid: anything else with a name


class NameForm(NamedTuple):
    """One written form of a name: the normalised text and whether it carries its suffix."""

    key: str
    suffixed: bool


@dataclass(frozen=True)
class NameMatch:
    """A township, village or place found in an address (positions in the normalised text)."""

    part: Part
    key: str | None  # the known form that matched; None: an unknown name found by its suffix
    text: str  # the span of the normalised text, with any tail (村委会 ...) it swallowed
    start: int
    suffixed: bool  # written with its level's suffix (村, 社区, 镇 ...), not bare
    bounded: bool = True  # starts where a word can start (see rule 2 of the module)
    prefix: str = ""  # unknown CJK characters right before it (at most 3), when unbounded


@dataclass(frozen=True)
class AddressParts:
    """The parts of one address: `text` as given, every other text normalised (`normalize`)."""

    text: str
    normalized: str
    region: tuple[str, ...] = ()
    foreign_region: str | None = None
    township: NameMatch | None = None
    village: NameMatch | None = None
    other_villages: tuple[NameMatch, ...] = ()
    places: tuple[NameMatch, ...] = ()
    natural_village: str | None = None  # 自然村, without the suffix
    group: str | None = None  # 村民小组 number, as digits ("3")
    grid: str | None = None  # grid number, as digits ("1" for 第一网格)
    compound: str | None = None  # with its suffix ("阳光花园")
    road: str | None = None  # with its suffix ("荣昌大道")
    number: str | None = None  # door number without 号 ("188", "12-3")
    building: str | None = None  # without 幢/栋 ("3", "A")
    unit: str | None = None
    room: str | None = None
    rest: str = ""


# --- names and their forms ----------------------------------------------------------------------

_CJK = "\u4e00-\u9fff"
_CJK_RE = re.compile(f"[{_CJK}]")
_DROP = re.compile(f"[^0-9A-Z{_CJK}-]")
_LOOSE_DASH = re.compile(r"(?<![0-9])-|-(?![0-9])")
_HASH_NUMBER = re.compile(r"(?<=[0-9])#")

_REGION_SUFFIX = re.compile(r"^(.+?)(?:省|市|自治州|地区|盟|自治县|县|自治旗|旗|区)$")
# An ethnic township (沐尘畲族乡) is known also as 沐尘乡 and 沐尘.
_TOWNSHIP_SUFFIX = re.compile(f"^(.{{2,}}?)([{_CJK}]{{1,3}}族)?(街道|镇|乡)$")
_TOWNSHIP_ADMIN_TAIL = re.compile(r"(?:人民政府|政府|办事处)$")
_VILLAGE_COMMITTEE = re.compile(r"(?:村民委员会|村委会)$")
_RESIDENTS_COMMITTEE = re.compile(r"(?:社区居民委员会|社区居委会|居民委员会|居委会)$")
# A township written before a village in an official name: 东华街道 in 东华街道某某社区居民委员会.
_LEADING_TOWNSHIP = re.compile(f"^[{_CJK}]{{2,5}}?(?:[{_CJK}]{{1,3}}族)?(?:街道|镇|乡)")

_VILLAGE_SUFFIXES = ("村", "社区")
_SUFFIX_WORDS = frozenset(
    {"村", "社区", "街道", "镇", "乡", "居委会", "村委会", "自然村", "新村", "中心", "小区"}
)
_CN_DIGITS = dict(zip("一二三四五六七八九", "123456789", strict=True))


def normalize(text: str) -> str:
    """The address as the parser reads it: NFKC, upper case, only CJK, letters, digits, inner -."""
    text = unicodedata.normalize("NFKC", text).upper()
    text = _HASH_NUMBER.sub("号", text)
    return _LOOSE_DASH.sub("", _DROP.sub("", text))


def short_name(official: str, level: str) -> str:
    """The name people write and map labels show, from an official name.

    `level` is "village" or "township" (a `gis.levels.AreaLevel` or the gazetteer's kind does);
    other levels keep their name. Rules:
    - village: 村民委员会/村委会 → 村 ("山底村村民委员会" → "山底村", "星火村委会" → "星火村");
      居民委员会/居委会 → 社区 ("清廉社区居民委员会" → "清廉社区", "街道居民委员会" →
      "街道社区"); a township written first is dropped ("东华街道某某社区居民委员会" →
      "某某社区");
    - township: the suffix stays ("湖镇镇" stays "湖镇镇", "白石镇" stays "白石镇"; the bare
      "湖镇", "白石" are other forms of the same name, see `name_forms`); a trailing 人民政府
      or 办事处 is dropped ("湖镇镇人民政府" → "湖镇镇").
    """
    name = normalize(official)
    if not name:
        raise ValueError(
            f"official must contain a name (CJK characters, letters or digits), got {official!r}"
        )
    if level == "township":
        return _TOWNSHIP_ADMIN_TAIL.sub("", name) or name
    if level != "village":
        return name
    if _RESIDENTS_COMMITTEE.search(name):
        short = _RESIDENTS_COMMITTEE.sub("", name) + "社区"
    elif _VILLAGE_COMMITTEE.search(name):
        short = _VILLAGE_COMMITTEE.sub("", name)
        short = short if short.endswith("村") else short + "村"
    else:
        short = name
    leading = _LEADING_TOWNSHIP.match(short)
    if leading and len(_village_core(short[leading.end() :])) >= 2:
        short = short[leading.end() :]
    return short


def _village_core(short: str) -> str:
    for suffix in _VILLAGE_SUFFIXES:
        if short.endswith(suffix) and len(short) > len(suffix):
            return short[: -len(suffix)]
    return short


def core_name(name: str, level: str) -> str:
    """The name without its level's suffix: "湖镇镇" → "湖镇", "山底村村民委员会" → "山底"."""
    name = normalize(name)
    if level == "region":
        match = _REGION_SUFFIX.match(name)
        return match.group(1) if match else name
    if level == "township":
        match = _TOWNSHIP_SUFFIX.match(short_name(name, level))
        return match.group(1) if match else name
    if level == "village":
        return _village_core(short_name(name, level))
    return name


def _usable_core(core: str) -> bool:
    return len(core) >= 2 and core not in _SUFFIX_WORDS


def name_forms(name: str, level: str) -> tuple[NameForm, ...]:
    """Every written form of `name` at `level` ("region", "township", "village", or any other
    for a place), official form first; see the module docstring for the forms of each level."""
    official = normalize(name)
    if not official:
        return ()
    forms: dict[str, bool] = {official: True}
    if level == "region":
        core = core_name(official, level)
        if core != official and _usable_core(core):
            forms[core] = False
    elif level == "township":
        short = short_name(official, level)
        forms.setdefault(short, True)
        match = _TOWNSHIP_SUFFIX.match(short)
        if match:
            core, ethnic, suffix = match.groups()
            if ethnic:
                forms.setdefault(core + suffix, True)  # 沐尘畲族乡 → 沐尘乡
            if _usable_core(core):
                forms.setdefault(core, False)
    elif level == "village":
        short = short_name(official, level)
        core = _village_core(short)
        cores = [core]
        if core and core[-1] in _CN_DIGITS:
            cores.append(core[:-1] + _CN_DIGITS[core[-1]])  # 十里坪一 → 十里坪1
        shorts = [short] + [c + short[len(core) :] for c in cores[1:]]
        for s, c in zip(shorts, cores, strict=True):
            forms.setdefault(s, True)
            if s.endswith("社区"):
                tails = (s + "居委会", s + "居民委员会", c + "居委会", c + "居民委员会")
            else:
                tails = (s + "委会", s + "村委会", s + "民委员会", s + "村民委员会")
            for form in tails:
                forms.setdefault(form, True)
        for c in cores:
            if _usable_core(c):
                forms.setdefault(c, False)
    return tuple(NameForm(key, suffixed) for key, suffixed in forms.items())


# --- the parser ---------------------------------------------------------------------------------

_TAILS = {
    Part.village: ("村民委员会", "居民委员会", "村委会", "居委会", "村委", "委会"),
    Part.township: ("人民政府", "办事处"),
}
# What may follow a bare form and makes it part of another word (rule 2 of the module).
_NOT_A_PLACE_AFTER = re.compile(
    r"(?:大道|路|街(?!道)|巷|弄|小区|花园|公寓|家园|苑|大厦|广场|自然村)"
)
_LONGER_VILLAGE_AFTER = re.compile(f"[{_CJK}]{{1,2}}(?:村(?!民小组)|社区)")
_VILLAGE_SUFFIX_RE = r"(?:村民委员会|居民委员会|村委会|居委会|社区|村)"

_NUMBER = "[0-9]+|[一二三四五六七八九十]+"
_GRID = re.compile(f"第?({_NUMBER})号?网格")
_NOT_VILLAGE_CHAR = f"(?:(?![村社区])[{_CJK}])"  # a natural village's name holds no 村, 社, 区
_NATURAL = re.compile(f"({_NOT_VILLAGE_CHAR}{{1,5}}?)自然村")
_GROUP = re.compile(f"第?({_NUMBER})(?:村民小组|小组|组|队)")
_UNKNOWN_TOWNSHIP = re.compile(
    f"(?:^|(?<=\0))([{_CJK}]{{2,4}}?(?:[{_CJK}]{{1,3}}族)?(?:街道|镇|乡))"
)
_VILLAGE_TAIL_RE = "|".join(_TAILS[Part.village])
_UNKNOWN_VILLAGE = re.compile(
    f"(?:^|(?<=\0))([{_CJK}]{{2,5}}){_VILLAGE_SUFFIX_RE}(?!民小组)(?:{_VILLAGE_TAIL_RE})?"
)
_COMPOUND = re.compile(
    f"(?:^|(?<=\0))([{_CJK}A-Z0-9]{{1,8}}?(?:小区|花园|公寓|家园|苑|公馆|大厦|华庭|广场))"
)
_ROAD = re.compile(f"(?:^|(?<=\0))([{_CJK}0-9]{{1,8}}?(?:大道|路|街(?!道)|巷|弄))")
_BUILDING = re.compile(r"([0-9]+|[A-Z])(?:幢|栋|号楼|座)")
_UNIT = re.compile(r"([0-9]+)单元(?:([0-9]+)室?)?")
_ROOM = re.compile(r"([0-9]+)室")
_DOOR = re.compile(r"([0-9]+(?:-[0-9]+)?)号(?!楼)")
# A county, district or city that is not ours, at the start: 2-3 characters and 县 or 市, or
# (right after our regions only) 2 characters and 区; not a word such as 小区, 园区, 超市.
_FOREIGN = re.compile(f"[{_CJK}]{{2}}区|[{_CJK}]{{2,3}}?(?:自治县|县|市(?!场))")
_NOT_FOREIGN = re.compile(
    r"(?:小区|社区|园区|景区|街区|新区|片区|校区|厂区|矿区|山区|库区|超市|菜市|集市|门市|城市|夜市)$"
    r"|^(?:老城区|新城区|主城区)$"
)


def _cn_number(text: str) -> str:
    """A small number as digits: 12 → 12, 三 → 3, 十二 → 12, 二十 → 20."""
    if text.isdigit():
        return str(int(text))
    if "十" not in text:
        return "".join(_CN_DIGITS.get(ch, ch) for ch in text)
    tens, _, ones = text.partition("十")
    return str(int(_CN_DIGITS.get(tens, "1")) * 10 + int(_CN_DIGITS.get(ones, "0")))


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    key: str
    parts: dict[Part, bool]  # the roles this form may play here, each suffixed or not
    bounded: bool
    prefix: str


class AddressParser:
    """Reads addresses against the names it is given (rules in the module docstring).

    All arguments are names as officially written; their forms come from `name_forms`.
    Built once (a dictionary of a few thousand forms), then `parse` takes tens of microseconds.
    """

    def __init__(
        self,
        *,
        regions: Iterable[str] = (),
        townships: Iterable[str] = (),
        villages: Iterable[str] = (),
        places: Iterable[str] = (),
    ) -> None:
        self._forms: dict[str, dict[Part, bool]] = {}
        for part, names, level in (
            (Part.region, regions, "region"),
            (Part.township, townships, "township"),
            (Part.village, villages, "village"),
            (Part.place, places, "place"),
        ):
            if isinstance(names, str):
                raise TypeError(f"{part.value}s must be a list of names, got the string {names!r}")
            for name in names:
                for key, suffixed in name_forms(name, level):
                    roles = self._forms.setdefault(key, {})
                    roles[part] = roles.get(part, False) or suffixed
        self._lengths = sorted({len(key) for key in self._forms}, reverse=True)
        self._first = frozenset(key[0] for key in self._forms)

    def forms(self, key: str) -> dict[Part, bool]:
        """The roles the written form `key` may play, each suffixed or bare ({} if unknown)."""
        return dict(self._forms.get(key, {}))

    # -- finding known names ---------------------------------------------------------------------

    def _scan(self, s: str) -> list[_Hit]:
        hits: list[_Hit] = []
        i, last_end, n = 0, 0, len(s)
        while i < n:
            if s[i] in self._first:
                bounded = i == last_end or not _CJK_RE.match(s[i - 1])
                hit = self._hit_at(s, i, bounded, s[max(last_end, i - 3) : i])
                if hit is not None:
                    hits.append(hit)
                    i = last_end = hit.end
                    continue
            i += 1
        return hits

    def _hit_at(self, s: str, i: int, bounded: bool, before: str) -> _Hit | None:
        n = len(s)
        for length in self._lengths:
            end = i + length
            if end > n:
                continue
            roles = self._forms.get(s[i:end])
            if roles is None:
                continue
            kept = {p: suffixed for p, suffixed in roles.items() if suffixed or bounded}
            if (
                not all(kept.values())
                and _NOT_A_PLACE_AFTER.match(s, end)
                and not self._starts_name(s, end)  # 东华街路村: 东华, then 街路村
            ):
                kept = {p: suffixed for p, suffixed in kept.items() if suffixed}
            if kept.get(Part.village) is False and _LONGER_VILLAGE_AFTER.match(s, end):
                del kept[Part.village]
            if not kept:
                continue
            for part in (Part.village, Part.township):
                if part in kept:
                    tail = next((t for t in _TAILS[part] if s.startswith(t, end)), "")
                    end += len(tail)
                    if tail:
                        break
            prefix = "" if bounded else "".join(_CJK_RE.findall(before))
            return _Hit(i, end, s[i : i + length], kept, bounded, prefix)
        return None

    def _starts_name(self, s: str, i: int) -> bool:
        """True when a known form starts at s[i]."""
        return s[i : i + 1] in self._first and any(
            s[i : i + length] in self._forms for length in self._lengths if i + length <= len(s)
        )

    # -- parsing ---------------------------------------------------------------------------------

    def parse(self, text: str) -> AddressParts:
        """The parts of one address (rules in the module docstring)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        s = normalize(text)
        taken = bytearray(len(s))
        region: list[str] = []
        region_end = 0
        township: NameMatch | None = None
        village: NameMatch | None = None
        others: list[NameMatch] = []
        places: list[NameMatch] = []

        def match(hit: _Hit, part: Part) -> NameMatch:
            taken[hit.start : hit.end] = b"\1" * (hit.end - hit.start)
            return NameMatch(
                part,
                hit.key,
                s[hit.start : hit.end],
                hit.start,
                hit.parts[part],
                hit.bounded,
                hit.prefix,
            )

        for hit in self._scan(s):
            roles = hit.parts
            if Part.region in roles and len(roles) == 1:
                match(hit, Part.region)
                region.append(s[hit.start : hit.end])
                if hit.start == region_end:
                    region_end = hit.end
            elif (
                Part.township in roles
                and township is None
                and (Part.village not in roles or (village is None and not roles[Part.village]))
            ):
                township = match(hit, Part.township)
            elif Part.village in roles and village is None:
                village = match(hit, Part.village)
            elif Part.village in roles and roles[Part.village]:
                others.append(match(hit, Part.village))
            elif Part.place in roles:
                places.append(match(hit, Part.place))
            # else: a bare village or township form after one was found: left as text.

        def residue() -> str:
            return "".join("\0" if t else ch for ch, t in zip(s, taken, strict=True))

        def take(pattern: re.Pattern[str]) -> re.Match[str] | None:
            found = pattern.search(residue())
            if found:
                taken[found.start() : found.end()] = b"\1" * (found.end() - found.start())
            return found

        foreign = None
        rest = residue()
        first = len(rest) - len(rest.lstrip("\0"))
        if first < len(rest) and first in (0, region_end):
            found = _FOREIGN.match(rest, first)
            if (
                found
                and not _NOT_FOREIGN.search(found.group())
                and (first == region_end > 0 or found.group()[-1] != "区")
            ):
                foreign = found.group()
                taken[found.start() : found.end()] = b"\1" * (found.end() - found.start())

        grid = take(_GRID)
        natural = take(_NATURAL)
        group = take(_GROUP)
        if township is None and (found := take(_UNKNOWN_TOWNSHIP)):
            township = NameMatch(Part.township, None, found.group(1), found.start(1), True)
        if village is None and (found := take(_UNKNOWN_VILLAGE)):
            village = NameMatch(Part.village, None, found.group(), found.start(), True)
        building = take(_BUILDING)
        unit = take(_UNIT)
        room = take(_ROOM)
        door = take(_DOOR)
        road = take(_ROAD)
        compound = take(_COMPOUND)
        room_text = room.group(1) if room else (unit.group(2) if unit and unit.group(2) else None)
        return AddressParts(
            text=text,
            normalized=s,
            region=tuple(region),
            foreign_region=foreign,
            township=township,
            village=village,
            other_villages=tuple(others),
            places=tuple(places),
            natural_village=natural.group(1) if natural else None,
            group=_cn_number(group.group(1)) if group else None,
            grid=_cn_number(grid.group(1)) if grid else None,
            compound=compound.group(1) if compound else None,
            road=road.group(1) if road else None,
            number=door.group(1) if door else None,
            building=building.group(1) if building else None,
            unit=unit.group(1) if unit else None,
            room=room_text,
            rest=residue().replace("\0", ""),
        )


def parse_address(
    text: str,
    *,
    regions: Iterable[str] = (),
    townships: Iterable[str] = (),
    villages: Iterable[str] = (),
    places: Iterable[str] = (),
) -> AddressParts:
    """Parse one address against the given names; build an `AddressParser` to parse many."""
    return AddressParser(
        regions=regions, townships=townships, villages=villages, places=places
    ).parse(text)
