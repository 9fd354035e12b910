"""Possible duplicates of a new report among recent events, at intake (重复上报).

A candidate is considered only when it passes three gates:
- within `max_distance_m` of the new report (local equirectangular metres about the report);
- reported within `max_hours` of it (before or after);
- in the same category, or a related one: the same 大类 (the first two digits of the code).
The candidates that pass get a score in [0, 1]:

    score = w_category · category + w_text · text + w_distance · near + w_time · recent

- category: 1 for the same 小类, 0 for another 小类 of the same 大类 (allowed, but then the
  text has to carry it);
- near = 1 − distance / max_distance_m; recent = 1 − hours apart / max_hours;
- text (`text_similarity`): what the two reports say is wrong, compared, as the mean of
  - characters: the Dice coefficient of the sets of character unigrams and bigrams of both
    texts (title and description), after the text is normalised (`gis.warnings.text`), the
    hotline's and grid workers' set phrases are removed (市民来电反映, 已拍照上报 ...), the
    place is removed (see below), synonyms are folded and function characters (的, 了, 在 ...)
    dropped;
  - concepts: the Jaccard index of the synonym groups both texts mention (井盖 = 窨井盖 =
    下水道盖子; 燃气 = 煤气 = 天然气; 不亮 = 坏了 = 黑漆漆 ...), when both mention one;
    otherwise the characters alone decide.
  Two reports at the same place share the place's name whatever they are about, so address-
  like runs are stripped before comparing: two characters before 路/街/大道/小区/花园/村/广场/
  菜场/医院/桥 ..., numbers with 幢/栋/号/组/单元/室, and position words (交叉口, 门口, 东侧 ...).
  It is a heuristic: it leaves some place names and eats a few issue words ("马路" in 马路
  中间), which costs less than comparing place names.
- Numbers veto: when both texts give a number of the same kind (幢 = 栋 = 号楼, 号, 组, 单元, 室)
  and no number of that kind agrees (5幢 / 8幢, 12号 / 36号), they are about different doors
  or blocks, and the candidate is not a duplicate, however similar the rest.

Candidates whose score reaches `threshold` are returned, best first, with each part of the
score. The defaults were chosen on tests/gis/data/duplicate_pairs.csv (see its generator); a
place with its own vocabulary should extend `synonyms` and re-measure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gis.warnings.common import EARTH_RADIUS_M, check_lon_lat_arrays, check_positive
from gis.warnings.text import normalise

# Set phrases of the hotline (12345) transcripts, grid workers' reports and the app: they say
# who wrote and what they want, not what is wrong. Longest first when matched.
DEFAULT_BOILERPLATE: tuple[str, ...] = (
    "市民来电反映", "市民来电称", "来电人反映", "来电人表示", "来电人称", "诉求人反映", "诉求人称",
    "网格员巡查发现", "日常巡查发现", "今日巡查时发现", "巡查中发现", "巡查时发现", "巡查发现",
    "经现场查看", "现场查看", "希望相关部门尽快处理", "请相关部门核实处理", "请相关部门处置",
    "望有关部门尽快处置", "要求尽快解决", "尽快处理", "已拍照上报", "已现场劝导", "需执法部门处理",
    "已上报", "有没有人管管", "麻烦尽快处理一下", "麻烦处理一下", "希望早点解决", "麻烦反映一下",
    "谢谢", "你好", "您好", "诉求", "关于", "的问题", "反映", "问题",
)  # fmt: skip

# Words people use for the same thing in township reports. Each group is folded to one token;
# a group is also a "concept" for the concept part of the text score.
DEFAULT_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("井盖", "窨井盖", "下水道盖子", "下水道盖", "检查井盖", "雨水篦子"),
    ("垃圾桶", "垃圾箱", "垃圾筒", "果壳箱"),
    ("满溢", "溢出", "装不下", "满了", "爆满"),
    ("燃气", "煤气", "天然气"),
    ("液化气瓶", "液化气钢瓶", "煤气罐", "煤气瓶", "钢瓶"),
    ("泄漏", "泄露", "漏气"),
    ("水管", "自来水管", "供水管道", "供水管", "给水管"),
    ("破裂", "爆裂", "破了", "爆了", "爆管"),
    ("电动车", "电瓶车", "电动自行车", "电驴"),
    ("飞线", "私拉电线", "拉电线", "吊电线", "拉线充电"),
    ("红绿灯", "信号灯", "交通灯"),
    ("消防栓", "消火栓"),
    ("噪音", "噪声", "吵", "太响"),
    ("占道", "占用人行道", "摆到马路上", "摆到路上", "占了半条路", "占用道路"),
    ("流动摊贩", "流动摊点", "沿街叫卖", "游商"),
    ("清扫", "打扫", "扫地", "保洁"),
    ("泥浆", "泥水", "污渍", "油污"),
    ("积水", "水淹", "淹了", "内涝"),
    ("塌陷", "塌了", "下沉", "塌方"),
    ("烧烤", "烤串", "夜宵摊"),
    ("焚烧", "烧", "点火"),
    ("秸秆", "稻草", "麦秆"),
    ("小广告", "牛皮癣", "办证广告"),
    ("路灯", "街灯", "灯"),
    ("不亮", "坏了", "灭了", "黑漆漆", "漆黑", "一片黑"),
    ("污染", "排污", "偷排"),
    ("裂缝", "开裂", "裂开", "裂了"),
    ("广场舞", "跳舞"),
    ("音响", "音乐", "喇叭", "音箱"),
    ("停水", "没水", "断水"),
    ("漏水", "渗水"),
    ("消防通道", "安全通道", "生命通道"),
    ("杂物", "纸箱", "旧家具"),
    ("死猫", "死狗", "动物尸体", "死老鼠"),
    ("装修垃圾", "建筑垃圾", "砖块", "水泥块"),
    ("渣土", "泥土", "泥块"),
    ("施工", "工地", "打桩"),
    ("扬尘", "灰尘", "灰太大"),
    ("围挡", "围栏"),
    ("违建", "违章建筑", "违章搭建", "私搭乱建", "彩钢棚", "阳光房", "铁皮房"),
    ("护栏", "隔离栏", "栏杆"),
)  # fmt: skip

# Characters that carry grammar, not meaning, in these reports; dropped before comparing.
_FUNCTION_CHARS = frozenset("的了在是和与及或这那着过也都就把被很还又吗呢吧啊呀么们个一有人")
_NUMBER = r"[0-9零〇一二两三四五六七八九十百]+"
_HAN2 = r"[\u4e00-\u9fff]{2}"
_ADDRESS = re.compile(
    rf"{_HAN2}(?:大道|路|街|巷|弄)"
    rf"|{_HAN2}(?:小区|花园|家园|新村|名苑|苑)"
    rf"|{_HAN2}村(?!民)"
    rf"|第?{_NUMBER}(?:村民小组|幢|栋|号楼|号|组|单元|室)"
    rf"|{_HAN2}(?:广场|菜场|市场|医院|小学|中学|学校|中心|公园|商城|大桥|桥)"
    r"|交叉路口|交叉口|十字路口|路口|交界处|门口|门前|附近|旁边|楼下|对面|下面|边上"
    r"|[东南西北](?:门|侧|边|面)"
)
_NUMBERED = re.compile(rf"({_NUMBER})(村民小组|号楼|幢|栋|号|组|单元|室)")
_UNIT = {"号楼": "幢", "栋": "幢", "村民小组": "组"}
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_NOT_TEXT = re.compile(r"[^\w\ue000-\uf8ff]|_")  # punctuation; keeps the folded tokens


def chinese_number(text: str) -> int | None:
    """The value of a number in digits or Chinese numerals up to 999 (12, 十二, 一百零五)."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


@dataclass(frozen=True)
class DuplicateParams:
    """The gates, weights and threshold of the duplicate check, and its vocabulary.

    `limit` caps the number of candidates returned. The four weights must add up to 1.
    """

    max_distance_m: float = 100.0
    max_hours: float = 72.0
    threshold: float = 0.5
    limit: int = 5
    w_category: float = 0.2
    w_text: float = 0.6
    w_distance: float = 0.1
    w_time: float = 0.1
    boilerplate: tuple[str, ...] = DEFAULT_BOILERPLATE
    synonyms: tuple[tuple[str, ...], ...] = DEFAULT_SYNONYMS

    def __post_init__(self) -> None:
        check_positive(
            max_distance_m=self.max_distance_m, max_hours=self.max_hours, limit=self.limit
        )
        if not 0 <= self.threshold <= 1:
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold}")
        weights = (self.w_category, self.w_text, self.w_distance, self.w_time)
        if min(weights) < 0 or abs(sum(weights) - 1) > 1e-9:
            raise ValueError(
                "w_category, w_text, w_distance and w_time must be >= 0 and add up to 1, "
                f"got {', '.join(f'{w:g}' for w in weights)}"
            )


@dataclass(frozen=True)
class NewReport:
    """The report being taken in: WGS84 lon/lat, epoch seconds, the 小类 code and its text."""

    lon: float
    lat: float
    created: int
    category: str
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class Candidates:
    """Recent events to compare with, as parallel arrays (one entry per event).

    `category` holds the 小类 codes as strings ("0102"); title and description may hold None.
    The caller may pass every event of the last days: the gates are applied here, vectorised.
    """

    id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    created: np.ndarray
    category: Sequence[str]
    title: Sequence[str | None]
    description: Sequence[str | None]

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", np.asarray(self.id, dtype="int64"))
        for name, dtype in (("lon", "float64"), ("lat", "float64"), ("created", "int64")):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=dtype))
        n = len(self.id)
        for name in ("lon", "lat", "created", "category", "title", "description"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"candidates.{name} has {len(getattr(self, name))} values but "
                    f"candidates.id has {n}: one value per candidate"
                )

    def __len__(self) -> int:
        return len(self.id)


@dataclass(frozen=True)
class DuplicateMatch:
    """A candidate that may report the same issue, its score and the parts of the score."""

    event_id: int
    score: float
    distance_m: float
    hours_apart: float
    same_category: bool  # the same 小类 (otherwise the same 大类)
    text_similarity: float
    parts: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Text:
    grams: frozenset[str]
    concepts: frozenset[str]
    numbers: dict[str, frozenset[int]]


class DuplicateChecker:
    """The duplicate check with its vocabulary compiled once; `find` per new report."""

    def __init__(self, params: DuplicateParams | None = None) -> None:
        self.params = p = params or DuplicateParams()
        self._boilerplate = _alternation(normalise(b) for b in p.boilerplate)
        self._token: dict[str, str] = {}
        for i, group in enumerate(p.synonyms):
            for word in group:
                # A private-use character stands for the group: one "character" per concept.
                self._token.setdefault(normalise(word), chr(0xE000 + i))
        self._synonyms = _alternation(self._token)

    def text(self, title: str | None, description: str | None) -> _Text:
        """What the comparison keeps of a report's title and description."""
        text = normalise(f"{title or ''}。{description or ''}")
        if self._boilerplate:
            text = self._boilerplate.sub("", text)
        text = _NOT_TEXT.sub("", text)
        numbers: dict[str, set[int]] = {}
        for digits, unit in _NUMBERED.findall(text):
            value = chinese_number(digits)
            if value is not None:
                numbers.setdefault(_UNIT.get(unit, unit), set()).add(value)
        text = _ADDRESS.sub("", text)
        if self._synonyms:
            text = self._synonyms.sub(lambda m: self._token[m.group()], text)
        kept = "".join(c for c in text if c not in _FUNCTION_CHARS)
        grams = set(kept) | {kept[i : i + 2] for i in range(len(kept) - 1)}
        concepts = frozenset(c for c in kept if "\ue000" <= c <= "\uf8ff")
        return _Text(frozenset(grams), concepts, {u: frozenset(v) for u, v in numbers.items()})

    def text_similarity(self, a: _Text, b: _Text) -> tuple[float, float, float | None, bool]:
        """(text score, characters part, concepts part or None, numbers veto) of two texts."""
        both = len(a.grams & b.grams)
        chars = 2 * both / (len(a.grams) + len(b.grams)) if a.grams and b.grams else 0.0
        concepts = None
        if a.concepts and b.concepts:
            concepts = len(a.concepts & b.concepts) / len(a.concepts | b.concepts)
        veto = any(a.numbers[u].isdisjoint(b.numbers[u]) for u in a.numbers.keys() & b.numbers)
        score = chars if concepts is None else (chars + concepts) / 2
        return (0.0 if veto else score), chars, concepts, veto

    def find(self, *, report: NewReport, candidates: Candidates) -> list[DuplicateMatch]:
        """The candidates that may be duplicates of `report`, best first (at most `limit`)."""
        p = self.params
        check_lon_lat_arrays(np.array([report.lon]), np.array([report.lat]), "report lon/lat")
        if not report.category or len(report.category) < 2:
            raise ValueError(
                f"report.category must be a category code such as '0102', got {report.category!r}"
            )
        if not len(candidates):
            return []
        # The gates, vectorised over every candidate: a box first (cheap), then the distance.
        ky = EARTH_RADIUS_M * math.pi / 180.0
        kx = ky * math.cos(math.radians(report.lat))
        dx = (candidates.lon - report.lon) * kx
        dy = (candidates.lat - report.lat) * ky
        dt = np.abs(candidates.created - int(report.created))
        near = (
            (np.abs(dx) <= p.max_distance_m)
            & (np.abs(dy) <= p.max_distance_m)
            & (dt <= p.max_hours * 3600)
        )
        rows = np.flatnonzero(near)
        distance = np.hypot(dx[rows], dy[rows])
        keep = distance <= p.max_distance_m
        rows, distance = rows[keep], distance[keep]
        if not len(rows):
            return []

        mine = self.text(report.title, report.description)
        group = report.category[:2]
        matches = []
        for row, metres in zip(rows.tolist(), distance.tolist(), strict=True):
            category = candidates.category[row] or ""
            if category[:2] != group:
                continue
            same = category == report.category
            text, chars, concepts, veto = self.text_similarity(
                mine, self.text(candidates.title[row], candidates.description[row])
            )
            hours = float(dt[row]) / 3600
            parts = {
                "category": p.w_category * same,
                "text": p.w_text * text,
                "distance": p.w_distance * (1 - metres / p.max_distance_m),
                "time": p.w_time * (1 - hours / p.max_hours),
            }
            score = 0.0 if veto else sum(parts.values())
            if score < p.threshold:
                continue
            matches.append(
                DuplicateMatch(
                    event_id=int(candidates.id[row]),
                    score=round(score, 4),
                    distance_m=round(metres, 1),
                    hours_apart=round(hours, 2),
                    same_category=same,
                    text_similarity=round(text, 4),
                    parts={k: round(v, 4) for k, v in parts.items()}
                    | {"text_characters": round(chars, 4)}
                    | ({"text_concepts": round(concepts, 4)} if concepts is not None else {}),
                )
            )
        matches.sort(key=lambda m: (-m.score, m.distance_m, m.event_id))
        return matches[: p.limit]


def _alternation(words) -> re.Pattern[str] | None:
    """A regex matching any of `words`, longest first (so 巡查发现 loses to 网格员巡查发现)."""
    unique = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, unique))) if unique else None
