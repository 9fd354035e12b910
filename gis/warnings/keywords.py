"""Words that must reach the commander at once (敏感词): matched in reports as they come in.

Matching is on the normalised text (`gis.warnings.text.normalise`: full-width/half-width,
case, spaces and zero-width characters folded), as substrings: Chinese has no spaces between
words, so "小区3幢起火" contains 起火 with nothing around it. Positions are reported in the text
as it was typed (start inclusive, end exclusive, in Python string indices).

One pass per text finds every word at once, overlapping ones included (燃气泄漏 and 泄漏 both
match in 燃气泄漏): an Aho-Corasick automaton (pyahocorasick). A compiled regex alternation is
as fast for 30 words, but it tries the words one by one at every position where one could
start and slows down as the list grows (measured: ~4 ms for 30 words over 10,000 reports,
~650 ms for 500, against ~11 ms and ~50 ms for the automaton); the administrator's list only
grows. `benchmarks/warnings_rules.py` times both on the same texts.

Out of scope: negation and context. "没有火灾" and "不是火灾" still match 火灾; a commander would
rather read a false alarm than miss a fire. Phrases that are known to be harmless can be listed
in `ignore`: a word is not reported where it lies inside an ignored phrase (火灾隐患 is a hazard
to fix, not a fire; 困难群体 is not 群体性事件).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ahocorasick

from gis.warnings.common import EarlyWarning, EventColumns, Rule, iso_utc
from gis.warnings.text import normalise, normalise_with_positions

DEFAULT_KEYWORDS: tuple[str, ...] = (
    # Groups and petitions (群体性事件, 信访).
    "群体", "上访", "集体访", "围堵", "堵路", "拉横幅", "讨薪",
    # Fire, gas, explosion, poisoning.
    "火灾", "起火", "着火", "燃气泄漏", "煤气泄漏", "天然气泄漏", "爆炸", "中毒",
    # Water.
    "溺水", "落水", "决堤", "溃坝", "管涌",
    # Collapse and landslides.
    "坍塌", "倒塌", "塌方", "山体滑坡", "泥石流",
    # People at risk.
    "跳楼", "轻生", "自杀", "持刀", "伤人", "死亡", "被困", "触电",
)  # fmt: skip

DEFAULT_IGNORE: tuple[str, ...] = (
    "火灾隐患", "防火灾", "防溺水", "困难群体", "弱势群体", "特殊群体",
)  # fmt: skip

_SNIPPET_CHARS = 12  # characters of context on each side of a match in the evidence


@dataclass(frozen=True)
class KeywordParams:
    """The words to match and the phrases that make a match harmless; both edited by the
    administrator. Matching ignores full-width/half-width, case and spaces."""

    words: tuple[str, ...] = DEFAULT_KEYWORDS
    ignore: tuple[str, ...] = DEFAULT_IGNORE

    def __post_init__(self) -> None:
        for name in ("words", "ignore"):
            for word in getattr(self, name):
                if not isinstance(word, str) or not normalise(word):
                    raise ValueError(
                        f"{name} must be non-empty strings (spaces alone do not count), "
                        f"got {word!r}"
                    )


@dataclass(frozen=True)
class KeywordHit:
    """One word found in one text: where, as typed, and which listed word it is."""

    word: str  # as listed in KeywordParams.words
    start: int  # index in the original text
    end: int  # exclusive
    matched: str  # the original text[start:end] (may be full-width or spaced)


class KeywordMatcher:
    """An automaton over the normalised words and ignore phrases, built once and reused."""

    def __init__(self, params: KeywordParams | None = None) -> None:
        self.params = params or KeywordParams()
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, tuple[bool, str]] = {}
        for word in self.params.ignore:
            entries[normalise(word)] = (True, word)
        for word in self.params.words:
            # A word that is also an ignore phrase is a word: listing it wins.
            entries[normalise(word)] = (False, word)
        for key, (ignored, word) in entries.items():
            self._automaton.add_word(key, (ignored, word, len(key)))
        if entries:
            self._automaton.make_automaton()
        self._empty = not entries

    def _scan(self, folded: str) -> list[tuple[str, int, int]]:
        """(word, start, end) in the folded text, less those inside an ignored phrase."""
        hits: list[tuple[str, int, int]] = []
        ignored: list[tuple[int, int]] = []
        for end, (is_ignore, word, length) in self._automaton.iter(folded):
            start = end + 1 - length  # the automaton reports the index of the last character
            if is_ignore:
                ignored.append((start, end + 1))
            else:
                hits.append((word, start, end + 1))
        if ignored:
            hits = [h for h in hits if not any(a <= h[1] and h[2] <= b for a, b in ignored)]
        return hits

    def find(self, text: str) -> list[KeywordHit]:
        """Every listed word in `text` (overlapping ones too), in order of position."""
        if self._empty or not text:
            return []
        # The fast path folds the whole string at once; the position map is only built for
        # the few texts that match something.
        if not self._scan(normalise(text)):
            return []
        folded, where = normalise_with_positions(text)
        found = []
        for word, start, end in self._scan(folded):
            first, last = where[start], where[end - 1] + 1
            found.append(KeywordHit(word=word, start=first, end=last, matched=text[first:last]))
        return sorted(found, key=lambda h: (h.start, h.end, h.word))


def keyword_warnings(
    *,
    events: EventColumns,
    texts: Mapping[str, Sequence[str]],
    matcher: KeywordMatcher,
) -> list[EarlyWarning]:
    """One warning per event whose text contains a listed word, naming every word and where.

    `texts` maps a field name to one text per event (e.g. {"title": [...], "description":
    [...]}), in the order of `events`; None counts as empty. The key is keyword:event id: an
    event is warned about once, whatever else is found in it later. Reads events.id,
    created, area and category.
    """
    n = len(events)
    for name, column in texts.items():
        if len(column) != n:
            raise ValueError(
                f"texts[{name!r}] has {len(column)} values but events has {n}: one text per "
                "event, in the same order"
            )
    warnings = []
    fields = list(texts.items())
    for row in range(n):
        found = []
        for name, column in fields:
            text = column[row] or ""
            for hit in matcher.find(text):
                a, b = max(0, hit.start - _SNIPPET_CHARS), hit.end + _SNIPPET_CHARS
                found.append(
                    {
                        "field": name,
                        "word": hit.word,
                        "start": hit.start,
                        "end": hit.end,
                        "matched": hit.matched,
                        "snippet": text[a:b],
                    }
                )
        if not found:
            continue
        words = list(dict.fromkeys(f["word"] for f in found))
        event_id = int(events.id[row])
        created = int(events.created[row])
        warnings.append(
            EarlyWarning(
                rule=Rule.keyword,
                key=f"{Rule.keyword}:{event_id}",
                window_start=created,
                window_end=created,
                areas=(int(events.area[row]),),
                category=int(events.category[row]),
                geometry=None,
                event_ids=(event_id,),
                count=len(found),
                baseline=None,
                score=float(len(words)),
                reason_zh=f"事件{event_id}含敏感词：{'、'.join(words)}",
                reason_en=f"event {event_id} contains the words {', '.join(words)}",
                evidence={"matches": found, "reported": iso_utc(created)},
            )
        )
    return sorted(warnings, key=lambda w: w.key)
