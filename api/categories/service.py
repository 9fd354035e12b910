"""Loading and reading the category catalog and the platform list."""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.categories.models import Category, Platform
from api.categories.schemas import CategoryOut, PlatformOut
from api.errors import InvalidInput

CATALOG_DIR = Path(__file__).parent
DEFAULT_CATALOG = CATALOG_DIR / "default_catalog.csv"
DEFAULT_PLATFORMS = CATALOG_DIR / "default_platforms.csv"
LIMIT_PATTERN = re.compile(r"^\d+(\.\d+)?(wh|wd|h)$")
URGENCIES = ("normal", "urgent")


@dataclass(frozen=True)
class CategoryInfo:
    """What intake needs of a category, kept in memory."""

    code: str
    name: str
    platform_code: str | None
    urgencies: tuple[str, ...]


_CACHE_SECONDS = 30.0
_cache: tuple[float, dict[str, CategoryInfo]] | None = None


def catalog(session: Session) -> dict[str, CategoryInfo]:
    """The active categories by code, read from the database at most every 30 s per process
    (and at once after a load in this process)."""
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > _CACHE_SECONDS:
        rows = session.scalars(select(Category).where(Category.active))
        _cache = (
            now,
            {
                c.code: CategoryInfo(c.code, c.name, c.platform_code, tuple(c.urgencies))
                for c in rows
            },
        )
    return _cache[1]


def forget_catalog() -> None:
    """Drop the in-memory catalog (after loading a new one)."""
    global _cache
    _cache = None


@dataclass(frozen=True)
class LoadResult:
    platforms: int
    categories: int
    deactivated: int


def _rows(path: Path) -> list[dict[str, str]]:
    """The data rows of a CSV file, comment and blank lines skipped; each row carries the
    number of its line in the file (`_line`), so that messages point at what an editor shows."""
    kept = [
        (number, line)
        for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    reader = csv.DictReader(io.StringIO("\n".join(line for _, line in kept)))
    rows = []
    for row in reader:
        line = kept[reader.line_num - 1][0]
        if None in row:  # more values than columns
            raise InvalidInput(
                f"{path.name} line {line}: {len(reader.fieldnames or []) + len(row[None])} "
                f"values for {len(reader.fieldnames or [])} columns; put a value that "
                'contains a comma in double quotes ("a,b")',
                field="file",
            )
        rows.append({k.strip(): (v or "").strip() for k, v in row.items()} | {"_line": str(line)})
    return rows


def _check_platforms(rows: list[dict[str, str]], path: Path) -> None:
    if not rows:
        raise InvalidInput(f"{path.name} has no platforms", field="platforms")
    if missing := {"code", "name"} - set(rows[0]):
        raise InvalidInput(
            f"{path.name}: missing columns {', '.join(sorted(missing))}", field="platforms"
        )
    for row in rows:
        where = f"{path.name} line {row['_line']}"
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,31}", row["code"]):
            raise InvalidInput(
                f"{where}: a platform code is 2-32 lower-case letters, digits or "
                f"_; got {row['code']!r}",
                field="platforms",
            )
        if not row["name"]:
            raise InvalidInput(
                f"{where}: the platform {row['code']} needs a name", field="platforms"
            )
        if row.get("sort_order") and not row["sort_order"].lstrip("-").isdigit():
            raise InvalidInput(
                f"{where}: sort_order must be a whole number; got {row['sort_order']!r}",
                field="platforms",
            )


def _check_categories(rows: list[dict[str, str]], platforms: set[str], path: Path) -> None:
    required = {
        "code",
        "name",
        "parent_code",
        "platform",
        "urgencies",
        "acknowledge_limit",
        "handle_limit",
        "urgent_handle_limit",
    }
    if rows and (missing := required - set(rows[0])):
        raise InvalidInput(
            f"{path.name}: missing columns {', '.join(sorted(missing))}", field="file"
        )
    if not rows:
        raise InvalidInput(
            f"{path.name} has no categories: loading it would deactivate the whole catalog",
            field="file",
        )
    codes = [r["code"] for r in rows]
    problems = []
    for row in rows:
        where = f"{path.name} line {row['_line']} ({row['code'] or 'no code'})"
        if not re.fullmatch(r"\d{2}(\d{2,3})?", row["code"]):
            problems.append(f"{where}: code must be 2 digits (大类) or 4-5 digits (小类)")
        if codes.count(row["code"]) > 1:
            problems.append(f"{where}: code appears more than once")
        if row["parent_code"] and row["parent_code"] not in codes:
            problems.append(f"{where}: parent_code {row['parent_code']} is not in the file")
        if row["platform"] and row["platform"] not in platforms:
            problems.append(
                f"{where}: platform {row['platform']!r} is not one of "
                f"{', '.join(sorted(platforms))}"
            )
        for urgency in row["urgencies"].split(";"):
            if urgency not in URGENCIES:
                problems.append(
                    f"{where}: urgency {urgency!r} must be one of {', '.join(URGENCIES)}"
                )
        for column in ("acknowledge_limit", "handle_limit", "urgent_handle_limit"):
            if row[column] and not LIMIT_PATTERN.match(row[column]):
                problems.append(
                    f"{where}: {column} {row[column]!r} must look like 4wh "
                    "(working hours), 7wd (working days) or 2h (natural hours)"
                )
    if problems:
        raise InvalidInput("; ".join(problems[:20]), field="file")


def load_catalog(
    *,
    session: Session,
    categories_path: Path = DEFAULT_CATALOG,
    platforms_path: Path = DEFAULT_PLATFORMS,
) -> LoadResult:
    """Insert or update platforms and categories from CSV files; categories missing from the
    file are deactivated (never deleted: events keep their category)."""
    platform_rows = _rows(platforms_path)
    _check_platforms(platform_rows, platforms_path)
    for row in platform_rows:
        statement = insert(Platform).values(
            code=row["code"], name=row["name"], sort_order=int(row.get("sort_order") or 0)
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[Platform.code],
                set_={"name": statement.excluded.name, "sort_order": statement.excluded.sort_order},
            )
        )
    known_platforms = set(session.scalars(select(Platform.code)))
    rows = _rows(categories_path)
    _check_categories(rows, known_platforms, categories_path)
    # Parents first, so the self-reference holds row by row.
    for row in sorted(rows, key=lambda r: (len(r["code"]), r["code"])):
        values = dict(
            code=row["code"],
            name=row["name"],
            parent_code=row["parent_code"] or None,
            platform_code=row["platform"] or None,
            urgencies=row["urgencies"].split(";"),
            acknowledge_limit=row["acknowledge_limit"] or None,
            handle_limit=row["handle_limit"] or None,
            urgent_handle_limit=row["urgent_handle_limit"] or None,
            active=True,
        )
        statement = insert(Category).values(**values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[Category.code],
                set_={k: getattr(statement.excluded, k) for k in values if k != "code"},
            )
        )
    codes = [r["code"] for r in rows]
    deactivated = session.execute(
        update(Category).where(Category.code.not_in(codes), Category.active).values(active=False)
    ).rowcount
    session.flush()
    forget_catalog()
    return LoadResult(len(platform_rows), len(rows), deactivated or 0)


def ensure_default_catalog(*, session: Session) -> LoadResult | None:
    """Load the default catalog into an empty database; None if a catalog is already there."""
    if session.scalar(select(func.count()).select_from(Category)):
        return None
    return load_catalog(session=session)


def list_categories(*, session: Session, include_inactive: bool = False) -> list[CategoryOut]:
    """The catalog, ordered by code."""
    platforms = {p.code: p for p in session.scalars(select(Platform))}
    query = select(Category).order_by(Category.code)
    if not include_inactive:
        query = query.where(Category.active)
    return [
        CategoryOut(
            code=c.code,
            name=c.name,
            parent_code=c.parent_code,
            platform=(
                PlatformOut(code=c.platform_code, name=platforms[c.platform_code].name)
                if c.platform_code in platforms
                else None
            ),
            urgencies=list(c.urgencies),
            acknowledge_limit=c.acknowledge_limit,
            handle_limit=c.handle_limit,
            urgent_handle_limit=c.urgent_handle_limit,
        )
        for c in session.scalars(query)
    ]
