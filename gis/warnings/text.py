"""Text normalisation shared by the keyword rule and the duplicate detector.

Chinese reports come typed on phones and transcribed by hotline operators: full-width Latin
letters and digits (ＡＢＣ１２３), ideographic spaces, half-width katakana-like punctuation,
upper and lower case. `normalise` folds these: Unicode NFKC (full-width → half-width,
compatibility forms → their plain letters), then casefold, then whitespace and zero-width
characters removed (Chinese has no spaces between words, so a space typed inside a word,
"燃气 泄漏", must not hide it). Traditional and simplified characters are not folded.
"""

from __future__ import annotations

import unicodedata

# Zero-width space, non-joiner, joiner, word joiner and BOM: invisible, pasted from chats.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def _dropped(char: str) -> bool:
    return char.isspace() or char in _ZERO_WIDTH


_DROP = {ord(c): None for c in _ZERO_WIDTH}


def normalise(text: str) -> str:
    """NFKC, casefold, whitespace and zero-width characters removed."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_DROP)
    return "".join(folded.split())


def normalise_with_positions(text: str) -> tuple[str, list[int]]:
    """`normalise(text)` char by char, with the index in `text` each output character came from.

    Used to report where a match was in the text as the user typed it. Character-by-character
    NFKC differs from whole-string NFKC only for combining sequences (a letter and a separate
    accent), which keywords in Chinese do not contain.
    """
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        for folded in unicodedata.normalize("NFKC", char).casefold():
            if not _dropped(folded):
                out.append(folded)
                where.append(i)
    return "".join(out), where
