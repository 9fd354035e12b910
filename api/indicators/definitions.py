"""The indicators (指标评价体系, DOMAIN.md §7): each formula written once, here.

A period is [start, end); its figures are read **as of T = min(end, now)**: each event's fact row
(api/indicators/facts.py) says when each stage first happened, and a stage counts if it happened
before T. So a past month gives the same numbers tomorrow, after edits, re-routing or a boundary
change: the fact rows keep the routing frozen on the event and the moments of its timeline.

Two tables: `SETS`, the sets of events an indicator counts (an SQL condition on the fact row `f`
with the parameters :start and :t), and `INDICATORS`, each a count of a set, a ratio of two
sets, or the average or median working hours of a stage. The API, the CLI, the assessments, the
exports and the docs table (`markdown_table`, in README.md) all read these two tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["count", "ratio", "mean", "median", "per_worker"]


@dataclass(frozen=True)
class EventSet:
    """A set of events counted over a period: its name and its condition on the fact row."""

    key: str
    name: str
    sql: str
    meaning: str


_IN = "f.{col} >= :start AND f.{col} < :t"
_CLOSED_AT_T = (  # closed at T: closed and not reopened by then, or closed for good before T
    "COALESCE((f.closed_at < :t AND (f.reopened_at IS NULL OR f.reopened_at >= :t))"
    " OR f.closed_last_at < :t, false)"
)
_OVERDUE_OPEN = (
    f"({_IN.format(col='overdue_at')} AND (f.handled_at IS NULL OR f.handled_at >= :t) "
    f"AND NOT {_CLOSED_AT_T})"
)
_HANDLED = f"({_IN.format(col='handled_at')})"
_COUNTY_CLOSED = f"(f.close_level = 'county' AND {_IN.format(col='closed_at')})"
_DUE = f"({_HANDLED} OR {_OVERDUE_OPEN} OR {_COUNTY_CLOSED})"

_SETS = (
    EventSet("reported", "上报数", f"({_IN.format(col='reported_at')})", "reported in the period"),
    EventSet("accepted", "受理数", f"({_IN.format(col='accepted_at')})", "first accepted"),
    EventSet("assigned", "交办数", f"({_IN.format(col='assigned_at')})", "first assigned"),
    EventSet("handled", "处置数", _HANDLED, "first handled (all tasks fed back)"),
    EventSet(
        "handled_on_time",
        "按期处置数",
        f"({_HANDLED} AND NOT f.handled_late)",
        "handled, and neither overdue before nor a late feedback",
    ),
    EventSet(
        "overdue_open",
        "超期未处置数",
        _OVERDUE_OPEN,
        "became overdue in the period and still not handled (nor closed) at T",
    ),
    EventSet(
        "due",
        "应结案数",
        _DUE,
        "应处置数 = 应结案数: handled + overdue unhandled (+ closed by the county)",
    ),
    EventSet("closed", "结案数", f"({_DUE} AND {_CLOSED_AT_T})", "of 应结案, closed at T"),
    EventSet(
        "closed_on_time",
        "按期结案数",
        f"({_DUE} AND {_CLOSED_AT_T} AND f.closed_on_time)",
        "of 应结案, closed at T with closure 正常结案",
    ),
    EventSet(
        "reworked", "返工数", f"({_DUE} AND f.reworked_at < :t)", "of 应结案, verification failed"
    ),
    EventSet(
        "extended", "延期数", f"({_DUE} AND f.extended_at < :t)", "of 应处置, extension approved"
    ),
    EventSet(
        "overdue",
        "超期数",
        f"(({_HANDLED} AND f.handled_late) OR {_OVERDUE_OPEN})",
        "handled late + overdue unhandled",
    ),
    EventSet(
        "returned",
        "退回数",
        f"({_IN.format(col='assigned_at')} AND f.returned_at < :t)",
        "of those first assigned, returned by the lead unit (wrong dispatch)",
    ),
    EventSet("rated", "评价数", f"({_IN.format(col='rated_at')})", "first rated"),
    EventSet(
        "satisfied",
        "满意数",
        f"({_IN.format(col='rated_at')} AND f.satisfied)",
        "rated 满意 or 基本满意",
    ),
    EventSet(
        "patrol",
        "网格员上报数",
        f"({_IN.format(col='reported_at')} AND f.reporter_role = 'grid_worker')",
        "reported by a grid worker",
    ),
    EventSet(
        "patrol_valid",
        "有效上报数",
        f"({_IN.format(col='reported_at')} AND f.reporter_role = 'grid_worker' "
        "AND f.accepted_at < :t)",
        "reported by a grid worker and accepted (立案) by T",
    ),
    EventSet("closed_first", "办结数", f"({_IN.format(col='closed_at')})", "first closed"),
    *(
        EventSet(
            f"closed_{level}",
            f"{name}办结数",
            f"({_IN.format(col='closed_at')} AND f.close_level = '{level}')",
            f"first closed, by a unit of the {level} level",
        )
        for level, name in (
            ("grid", "网格"),
            ("village", "村社"),
            ("township", "乡镇"),
            ("county", "县级"),
        )
    ),
)
SETS: dict[str, EventSet] = {s.key: s for s in _SETS}

PERIOD_ROWS = (
    " OR ".join(
        _IN.format(col=col)
        for col in ("reported_at", "accepted_at", "assigned_at", "handled_at", "overdue_at")
    )
    + " OR "
    + " OR ".join(_IN.format(col=col) for col in ("closed_at", "rated_at"))
)
"""The fact rows any set of a period can hold (each a range on an indexed column)."""

STAGES = {  # stage → (working-hours column, the set whose events finished the stage)
    "accept": ("wh_accept", "accepted"),
    "assign": ("wh_assign", "assigned"),
    "handle": ("wh_handle", "handled"),
    "verify": ("wh_verify", "closed_first"),
}
STAGE_NAMES = {"accept": "受理", "assign": "交办", "handle": "处置", "verify": "核查"}

SUPERVISION_SETS = {
    "supervision": ("督办数", "supervision orders (督办单) issued in the period"),
    "supervision_unanswered": (
        "督办未按时回复数",
        "orders issued in the period, due by T, not answered by their reply deadline",
    ),
}


@dataclass(frozen=True)
class Indicator:
    """One indicator: how it is computed from the sets, its unit, and which way is better."""

    key: str
    name: str
    kind: Kind
    unit: str  # 件, %, 小时, 件/人
    numerator: str  # a set (or a supervision set), or a stage for mean/median
    denominator: str | None = None
    higher_is_better: bool = True
    note: str = ""

    def formula(self) -> str:
        """The formula in words, for the docs and the pages."""
        if self.kind == "count":
            return _set_name(self.numerator)
        if self.kind == "ratio":
            return f"{_set_name(self.numerator)} / {_set_name(self.denominator or '')} × 100%"
        if self.kind == "per_worker":
            return f"{_set_name(self.numerator)} / 网格员人数"
        column, done = STAGES[self.numerator]
        word = "平均" if self.kind == "mean" else "中位"
        return f"{word}({column}: {STAGE_NAMES[self.numerator]}工作时长, over {_set_name(done)})"


def _set_name(key: str) -> str:
    if key in SETS:
        return SETS[key].name
    return SUPERVISION_SETS[key][0]


def _ratio(
    key: str, name: str, num: str, den: str, higher: bool = True, note: str = ""
) -> Indicator:
    return Indicator(key, name, "ratio", "%", num, den, higher, note)


INDICATORS: tuple[Indicator, ...] = (
    Indicator("reported", "上报数", "count", "件", "reported"),
    Indicator("accepted", "受理数", "count", "件", "accepted"),
    Indicator("due", "应结案数", "count", "件", "due"),
    Indicator("handled", "处置数", "count", "件", "handled"),
    Indicator("closed", "结案数", "count", "件", "closed"),
    _ratio("close_rate", "结案率", "closed", "due"),
    _ratio("close_on_time_rate", "按期结案率", "closed_on_time", "due"),
    _ratio("handle_rate", "处置率", "handled", "due"),
    _ratio("handle_on_time_rate", "按期处置率", "handled_on_time", "due"),
    _ratio("rework_rate", "返工率", "reworked", "due", higher=False),
    _ratio("extension_rate", "延期率", "extended", "due", higher=False),
    _ratio("return_rate", "退回率", "returned", "assigned", higher=False),
    _ratio("satisfaction_rate", "满意率", "satisfied", "rated"),
    Indicator("overdue", "超期数", "count", "件", "overdue", higher_is_better=False),
    Indicator("supervision", "督办数", "count", "件", "supervision", higher_is_better=False),
    Indicator(
        "supervision_unanswered",
        "督办未按时回复数",
        "count",
        "件",
        "supervision_unanswered",
        higher_is_better=False,
    ),
    *(
        Indicator(
            f"{stage}_hours_{kind}",
            f"{STAGE_NAMES[stage]}{'平均' if kind == 'mean' else '中位'}工作时长",
            kind,  # type: ignore[arg-type]
            "小时",
            stage,
            higher_is_better=False,
        )
        for stage in STAGES
        for kind in ("mean", "median")
    ),
    _ratio("valid_report_rate", "有效上报率", "patrol_valid", "patrol"),
    Indicator(
        "patrol_per_worker",
        "人均巡查上报数",
        "per_worker",
        "件/人",
        "patrol",
        note="grid-worker accounts of the group (active now)",
    ),
    *(
        _ratio(f"closed_share_{level}", f"{name}办结占比", f"closed_{level}", "closed_first")
        for level, name in (
            ("grid", "网格"),
            ("village", "村社"),
            ("township", "乡镇"),
            ("county", "县级"),
        )
    ),
)
BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}


def markdown_table() -> str:
    """The indicators as a Markdown table (README.md carries it; a test keeps them equal)."""
    lines = [
        "| key | 指标 | unit | formula | better |",
        "|---|---|---|---|---|",
    ]
    for i in INDICATORS:
        better = "higher" if i.higher_is_better else "lower"
        note = f" ({i.note})" if i.note else ""
        lines.append(f"| `{i.key}` | {i.name} | {i.unit} | {i.formula()}{note} | {better} |")
    lines += ["", "| set | 名称 | which events (of the period, as of T) |", "|---|---|---|"]
    for s in SETS.values():
        lines.append(f"| `{s.key}` | {s.name} | {s.meaning} |")
    for key, (name, meaning) in SUPERVISION_SETS.items():
        lines.append(f"| `{key}` | {name} | {meaning} |")
    return "\n".join(lines) + "\n"
