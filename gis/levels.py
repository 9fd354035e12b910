"""The hierarchy of areas a township is made of, and the rules their codes follow."""

from __future__ import annotations

import re
from enum import StrEnum


class AreaLevel(StrEnum):
    """Administrative and grid levels, from the county down to the micro-grid."""

    county = "county"  # 区县
    township = "township"  # 乡镇/街道
    village = "village"  # 村/社区
    grid = "grid"  # 网格
    microgrid = "microgrid"  # 微网格

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def parent(self) -> AreaLevel | None:
        """The level directly above, or None for the county."""
        index = LEVEL_ORDER.index(self)
        return LEVEL_ORDER[index - 1] if index > 0 else None

    @property
    def child(self) -> AreaLevel | None:
        """The level directly below, or None for the micro-grid."""
        index = LEVEL_ORDER.index(self)
        return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


LEVEL_ORDER: tuple[AreaLevel, ...] = tuple(AreaLevel)

_LABELS_ZH = {
    AreaLevel.county: "区县",
    AreaLevel.township: "乡镇/街道",
    AreaLevel.village: "村/社区",
    AreaLevel.grid: "网格",
    AreaLevel.microgrid: "微网格",
}

# Statistical division codes (统计用区划代码) for the administrative levels, and the
# practice for grids (village code + 3 digits) and micro-grids (grid code + 2-3 digits).
CODE_PATTERNS: dict[AreaLevel, re.Pattern[str]] = {
    AreaLevel.county: re.compile(r"^\d{6}$"),
    AreaLevel.township: re.compile(r"^\d{9}$"),
    AreaLevel.village: re.compile(r"^\d{12}$"),
    AreaLevel.grid: re.compile(r"^\d{15}$"),
    AreaLevel.microgrid: re.compile(r"^\d{17,18}$"),
}


def parse_level(value: str) -> AreaLevel:
    """Return the level named by `value`, or raise ValueError listing the levels."""
    try:
        return AreaLevel(value.strip().lower())
    except ValueError:
        allowed = ", ".join(level.value for level in AreaLevel)
        raise ValueError(f"level must be one of {allowed}; got {value!r}") from None


def code_follows_convention(level: AreaLevel, code: str) -> bool:
    """True when `code` has the length and digits the convention gives `level`."""
    return bool(CODE_PATTERNS[level].match(code))


def code_sort_key(code: str) -> tuple[int, int, str]:
    """Order codes as people read them: numeric codes by value ("2" before "10"), then others."""
    return (0, int(code), code) if code.isdigit() else (1, 0, code)
