"""A scheme (考核方案) as data: reading it from its file, and scoring subjects with it.

The file is TOML (api/assessments/default_scheme.toml is the shipped default and its own
documentation). `check_scheme` refuses anything it could not apply, naming the place in the
file; `score` is a pure function of the scheme and the figures, so a test can work it by hand.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from api.errors import InvalidInput
from api.indicators.definitions import BY_KEY

DEFAULT_SCHEME = Path(__file__).with_name("default_scheme.toml")
LEVELS = ("township", "village", "grid", "unit")
METHODS = ("threshold", "relative")


def read_scheme(text: str) -> dict:
    """A scheme from TOML text, checked."""
    try:
        body = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"the scheme is not valid TOML: {exc}", field="scheme") from None
    return check_scheme(body)


def check_scheme(body: dict) -> dict:
    """The scheme if it can be applied; InvalidInput naming what is wrong and where."""

    def bad(where: str, message: str) -> InvalidInput:
        return InvalidInput(f"scheme {where}: {message}", field=where)

    for key in ("code", "name"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            raise bad(key, "is required (a short text)")
    grades = body.get("grades")
    if not isinstance(grades, list) or not grades:
        raise bad("grades", 'list the grade bands, e.g. [{grade = "A", min = 90}, ...]')
    mins = [g.get("min") for g in grades if isinstance(g, dict)]
    if len(mins) != len(grades) or any(not isinstance(m, int | float) for m in mins):
        raise bad("grades", "each band has a grade and a number min")
    if mins != sorted(mins, reverse=True) or mins[-1] > 0:
        raise bad("grades", "bands go from the highest min down to a band with min = 0")
    for key, rule in (body.get("indicators") or {}).items():
        where = f"indicators.{key}"
        if key not in BY_KEY:
            raise bad(where, f"no such indicator; known: {', '.join(BY_KEY)}")
        method = rule.get("method", "threshold")
        if method not in METHODS:
            raise bad(where, f"method must be one of {', '.join(METHODS)}")
        if method == "threshold":
            full, zero = rule.get("full"), rule.get("zero")
            if not isinstance(full, int | float) or not isinstance(zero, int | float):
                raise bad(where, "a threshold needs numbers full and zero")
            if full == zero:
                raise bad(where, "full and zero must differ")
    levels = body.get("levels") or {}
    if not levels:
        raise bad("levels", f"give weights for at least one level of {', '.join(LEVELS)}")
    for level, spec in levels.items():
        where = f"levels.{level}"
        if level not in LEVELS:
            raise bad(where, f"the level must be one of {', '.join(LEVELS)}")
        weights = (spec or {}).get("weights") or {}
        if not weights:
            raise bad(f"{where}.weights", "give at least one weight")
        for key, weight in weights.items():
            if key not in BY_KEY:
                raise bad(f"{where}.weights.{key}", "no such indicator")
            if not isinstance(weight, int | float) or weight <= 0:
                raise bad(f"{where}.weights.{key}", "a weight is a positive number")
            if key not in (body.get("indicators") or {}):
                raise bad(f"{where}.weights.{key}", f"say how {key} scores under [indicators]")
    for i, item in enumerate(body.get("adjustments") or []):
        where = f"adjustments[{i}]"
        if item.get("indicator") not in BY_KEY:
            raise bad(where, "indicator must name an indicator")
        if not isinstance(item.get("points"), int | float) or not item.get("name"):
            raise bad(where, "an item has a name and points (negative for a penalty)")
        if not isinstance(item.get("per", 1), int | float) or item.get("per", 1) <= 0:
            raise bad(where, "per is a positive number")
    return body


def default_scheme() -> dict:
    return read_scheme(DEFAULT_SCHEME.read_text(encoding="utf-8"))


@dataclass
class Scored:
    code: str
    name: str
    figures: dict  # indicator → {"value", "numerator", "denominator"}
    parts: dict  # indicator → points; "adjustments" → [{name, value, points}]
    score: float
    grade: str
    rank: int = 0


def _points(rule: dict, value: float | None, best: float | None) -> float:
    if value is None:
        return float(rule.get("empty", 100.0))
    if rule.get("method", "threshold") == "relative":
        return 100.0 * value / best if best else 100.0
    full, zero = float(rule["full"]), float(rule["zero"])
    share = (value - zero) / (full - zero)
    return 100.0 * min(1.0, max(0.0, share))


def grade_of(scheme: dict, score: float) -> str:
    for band in scheme["grades"]:
        if score >= band["min"]:
            return band["grade"]
    return scheme["grades"][-1]["grade"]


def score(scheme: dict, level: str, subjects: list[tuple[str, str, dict]]) -> list[Scored]:
    """Score and rank (code, name, figures) subjects at `level`: the weighted points of each
    indicator, plus the adjustments, kept within 0-100; ties share a rank (1, 1, 3)."""
    if level not in (scheme.get("levels") or {}):
        raise InvalidInput(
            f"scheme {scheme['code']} has no weights for level {level}; it has "
            f"{', '.join(scheme.get('levels') or {})}",
            field="level",
        )
    weights: dict = scheme["levels"][level]["weights"]
    rules: dict = scheme.get("indicators") or {}
    best = {key: max((s[2][key]["value"] or 0 for s in subjects), default=0) for key in weights}
    scored = []
    for code, name, figures in subjects:
        parts = {
            key: round(_points(rules[key], figures[key]["value"], best[key]), 2) for key in weights
        }
        total = sum(weights[k] * parts[k] for k in weights) / sum(weights.values())
        adjustments = []
        for item in scheme.get("adjustments") or []:
            value = figures[item["indicator"]]["value"] or 0
            points = item["points"] * value / item.get("per", 1)
            cap = item.get("max")
            if cap is not None:
                points = max(-cap, min(cap, points))
            if points:
                adjustments.append({"name": item["name"], "value": value, "points": points})
        final = round(max(0.0, min(100.0, total + sum(a["points"] for a in adjustments))), 2)
        parts["adjustments"] = adjustments
        scored.append(Scored(code, name, figures, parts, final, grade_of(scheme, final)))
    scored.sort(key=lambda s: (-s.score, s.code))
    for i, s in enumerate(scored):
        s.rank = scored[i - 1].rank if i and scored[i - 1].score == s.score else i + 1
    return scored
