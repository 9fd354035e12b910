"""Read hotline work orders (12345 工单) and department lists from files into rows for EventIn.

The file-reading half of `shuxin events import FILE`: no database, no HTTP. It reads a file,
maps its columns to event fields with a mapping (TOML), and yields one `RowResult` per data
row, lazily, for the application to geocode, route and store.

Formats, decided by the file's content, not its name:
- .xlsx (and .xlsm) through openpyxl in read-only mode: rows are streamed from the zip, so a
  100,000-row sheet never holds more than one row of openpyxl objects;
- .xls through xlrd (which reads the whole sheet; .xls sheets stop at 65,536 rows);
- CSV (or tab-separated text) in UTF-8, UTF-8 with BOM, UTF-16 with BOM, or GBK/GB18030: the
  encoding is found by decoding the whole file (UTF-8 first; GB18030 is a superset of GBK) and
  stated in the summary, e.g. "GB18030 (detected)".

The header is the first of the first 20 rows that names at least two mapped columns (hotline
exports put a title row above it), or the row the caller names. In a workbook with several
sheets the first sheet with such a row is read, unless a sheet is named.

Rules for a row (each row stands alone; a bad row never stops the file):
- it is refused when a required field is blank, a date or a coordinate does not parse, it has
  neither a title nor a description, or neither an address nor coordinates; every problem of
  the row is named, with its column, in one reason;
- a CSV record that spans several lines yet does not reach the mapped columns is refused: an
  unclosed quote has swallowed the lines after it into one cell;
- it is a duplicate when an earlier row of the file has its external_id (the first row wins,
  as the database keeps the first event of a source + external_id);
- it is flagged, but kept, when its category matched nothing (the mapping's default category
  is used), its title was derived from its description, its phone was unusable (dropped), its
  urgency was unknown (normal), a text was cut to EventIn's limit, or it happened in the future.
- times without a zone are Asia/Shanghai; Excel serial numbers and date cells are dates.
An accepted row's `fields` went through EventIn's own validation (with placeholder coordinates
when it has none): the application fills in lon/lat (and crs) after geocoding.

A file that cannot be read at all raises one `IntakeFileError` from `open_intake`, whose message
(Chinese / English) names the file and the column or row; one found damaged part-way raises it
from `rows()`, naming the last row read. A mapping that is wrong raises `MappingError`.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
import tomllib
import unicodedata
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, get_args
from xml.etree.ElementTree import ParseError

from pydantic import ValidationError
from pydantic.types import StringConstraints

from api import clock
from api.events.models import EventSource, Urgency
from api.events.schemas import EventIn, Reporter
from gis.crs import parse_crs
from gis.router import InvalidCoordinates, check_lon_lat

__all__ = [
    "DEFAULT_MAPPING",
    "FIELDS",
    "Flag",
    "IntakeError",
    "IntakeFile",
    "IntakeFileError",
    "IntakeMapping",
    "IntakeSummary",
    "MappingError",
    "Outcome",
    "RowFlag",
    "RowResult",
    "load_mapping",
    "open_intake",
    "read_intake",
    "write_row_report",
]

DEFAULT_MAPPING = Path(__file__).with_name("default_12345.toml")
HEADER_SCAN_ROWS = 20  # rows searched for the header
PROGRESS_EVERY = 1000  # rows between two progress calls, by default
FUTURE_TOLERANCE = timedelta(days=1)  # clocks and zones differ; beyond this a time is "future"

ProgressCallback = Callable[[int, int | None], None]
"""progress(done, total): data rows read so far, and the rows below the header (None when the
file does not say; for CSV its line count, an upper bound when cells hold line breaks). The last
call has done == total."""

# The fields a mapping may fill, and what they are (for messages).
FIELDS: dict[str, str] = {
    "external_id": "工单编号 (the sender's id)",
    "title": "标题",
    "description": "内容",
    "address": "地址",
    "reporter.name": "来电人",
    "reporter.phone": "联系电话",
    "occurred_at": "发生/受理时间",
    "category": "分类 (the sender's category, mapped to ours)",
    "urgency": "紧急程度",
    "lon": "经度",
    "lat": "纬度",
}


# --------------------------------------------------------------------------- errors


class IntakeError(Exception):
    """A file or a mapping that cannot be used; `message` is Chinese / English."""

    code = "intake_error"

    def __init__(self, code: str, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path


class IntakeFileError(IntakeError):
    """The file cannot be read at all: wrong type, damaged, no header, missing columns, empty."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        path: Path | None = None,
        row: int | None = None,
        columns: Sequence[str] = (),
    ) -> None:
        super().__init__(code, message, path=path)
        self.row = row
        self.columns = tuple(columns)  # the file's header, when the problem is about columns


class MappingError(IntakeError):
    """The mapping file is not valid TOML or not a valid mapping."""


def _both(zh: str, en: str) -> str:
    return f"{zh} / {en}"


# --------------------------------------------------------------------------- EventIn's limits


def _max_chars(annotation: Any) -> int | None:
    """The max_length a (possibly Optional, Annotated) string annotation carries."""
    for item in getattr(annotation, "__metadata__", ()):
        if isinstance(item, StringConstraints) and item.max_length is not None:
            return item.max_length
    for arg in get_args(annotation):
        found = _max_chars(arg)
        if found is not None:
            return found
    return None


def _event_limit(model: type, name: str) -> int:
    info = model.model_fields[name]  # type: ignore[attr-defined]
    limit = _max_chars(info.annotation)
    for item in info.metadata:
        if isinstance(item, StringConstraints) and item.max_length is not None:
            limit = item.max_length
    if limit is None:
        raise RuntimeError(f"{model.__name__}.{name} has no max_length")
    return limit


# The lengths EventIn accepts, read from it so that the two cannot disagree.
LIMITS: dict[str, int] = {
    "external_id": _event_limit(EventIn, "external_id"),
    "title": _event_limit(EventIn, "title"),
    "description": _event_limit(EventIn, "description"),
    "address": _event_limit(EventIn, "address"),
    "reporter.name": _event_limit(Reporter, "name"),
    "category": _event_limit(EventIn, "category_code"),
}


# --------------------------------------------------------------------------- the mapping


def _norm(text: str) -> str:
    """A column name or a value as compared: full-width folded (NFKC), no whitespace, lower case,
    a trailing '*' or ':' dropped."""
    folded = "".join(unicodedata.normalize("NFKC", text).split()).lower()
    return folded.rstrip("*:")


@dataclass(frozen=True)
class IntakeMapping:
    """How one sender's columns and categories become event fields (read by `load_mapping`)."""

    name: str
    path: Path
    columns: dict[str, tuple[str, ...]]  # field -> candidate column names, preferred first
    required: tuple[str, ...]
    category_default: str
    category_map: dict[str, str]  # sender's category (normalised) -> our code
    separators: str
    urgent: frozenset[str]  # normalised values
    normal: frozenset[str]
    title_chars: int = 30
    _by_last: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The last segment of every key, where all keys ending in it agree on the code.
        votes: dict[str, set[str]] = {}
        for key, code in self.category_map.items():
            votes.setdefault(self.last_segment(key), set()).add(code)
        self._by_last.update({seg: next(iter(c)) for seg, c in votes.items() if len(c) == 1})

    def last_segment(self, value: str) -> str:
        """The last level of a category path ('城市管理-市容环境-暴露垃圾' -> '暴露垃圾')."""
        parts = [p for p in re.split(f"[{re.escape(self.separators)}]", value) if p]
        return parts[-1] if parts else value

    def category_for(self, value: str | None) -> str | None:
        """Our code for a sender's category: by its full text, then by its last segment; None
        when neither matches (the caller uses the default and flags the row)."""
        if not value:
            return None
        key = _norm(value)
        code = self.category_map.get(key)
        if code is None:
            last = self.last_segment(key)
            code = self.category_map.get(last) or self._by_last.get(last)
        return code


_TOP_KEYS = {"name", "required", "title_chars", "columns", "category", "urgency"}
_CATEGORY_KEYS = {"default", "separators", "map"}
_DEFAULT_SEPARATORS = "-/>|－＞—"
_DEFAULT_URGENT = ("紧急", "特急", "加急", "urgent")
_DEFAULT_NORMAL = ("一般", "普通", "normal")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"reporter": {"name": [...]}} -> {"reporter.name": [...]} (TOML dotted keys)."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _string_list(value: Any) -> list[str] | None:
    """A string or a list of non-empty strings as a list; None when it is neither."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return [v.strip() for v in value]


def load_mapping(
    path: str | Path | None = None, *, known_codes: Collection[str] | None = None
) -> IntakeMapping:
    """Read and check a mapping TOML (default: the shipped 12345 mapping); raise MappingError.

    `known_codes`, when given (the active catalog's codes), is checked to hold every code the
    mapping names.
    """
    path = DEFAULT_MAPPING if path is None else Path(path)
    name = path.name

    def fail(zh: str, en: str) -> MappingError:
        return MappingError(
            "invalid_mapping", _both(f"映射文件 {name}: {zh}", f"mapping {name}: {en}"), path=path
        )

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise MappingError(
            "mapping_not_found",
            _both(f"找不到映射文件 {path}", f"mapping {path} does not exist"),
            path=path,
        ) from None
    except UnicodeDecodeError:
        raise fail("不是 UTF-8 文本", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise fail(f"不是有效的 TOML（{exc}）", f"is not valid TOML ({exc})") from None

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise fail(
            f"未知的项 {', '.join(unknown)}；可用: {', '.join(sorted(_TOP_KEYS))}",
            f"unknown key {', '.join(unknown)}; known keys: {', '.join(sorted(_TOP_KEYS))}",
        )
    if not isinstance(data.get("columns"), dict) or not data["columns"]:
        raise fail("没有 [columns] 表", "has no [columns] table")
    columns: dict[str, tuple[str, ...]] = {}
    known_fields = ", ".join(FIELDS)
    for fname, value in _flatten(data["columns"]).items():
        if fname not in FIELDS:
            raise fail(
                f"[columns] 中有未知字段 '{fname}'；可用字段: {known_fields}",
                f"unknown field '{fname}' in [columns]; known fields: {known_fields}",
            )
        names = _string_list(value)
        if names is None:
            raise fail(
                f'[columns] {fname} 必须是列名或列名的列表，如 ["工单编号"]',
                f'[columns] {fname} must be a column name or a list of them, e.g. ["工单编号"]',
            )
        columns[fname] = tuple(names)
    owners: dict[str, str] = {}
    for fname, names in columns.items():
        for column in names:
            other = owners.setdefault(_norm(column), fname)
            if other != fname:
                raise fail(
                    f"列名 '{column}' 同时列在 {other} 和 {fname} 下",
                    f"column '{column}' is listed for both {other} and {fname}",
                )
    if ("lon" in columns) != ("lat" in columns):
        present, absent = ("lon", "lat") if "lon" in columns else ("lat", "lon")
        raise fail(
            f"[columns] 有 {present} 没有 {absent}：坐标需要两列",
            f"[columns] has {present} but not {absent}: coordinates need both",
        )

    required = data.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise fail("required 必须是字段名的列表", "required must be a list of field names")
    for fname in required:
        if fname not in columns:
            raise fail(
                f"required 中的 '{fname}' 不在 [columns] 中",
                f"required names '{fname}', which [columns] does not map",
            )

    title_chars = data.get("title_chars", 30)
    if isinstance(title_chars, bool) or not isinstance(title_chars, int):
        raise fail("title_chars 必须是整数", "title_chars must be a whole number")
    if not 5 <= title_chars <= LIMITS["title"]:
        raise fail(
            f"title_chars 必须在 5 到 {LIMITS['title']} 之间，现在是 {title_chars}",
            f"title_chars must be in [5, {LIMITS['title']}], got {title_chars}",
        )

    category = data.get("category", {})
    if not isinstance(category, dict):
        raise fail("[category] 必须是表", "[category] must be a table")
    unknown = sorted(set(category) - _CATEGORY_KEYS)
    if unknown:
        raise fail(
            f"[category] 中有未知的项 {', '.join(unknown)}；可用: default, separators, map",
            f"unknown key {', '.join(unknown)} in [category]; known keys: default, separators, map",
        )
    default = category.get("default")
    if default is None:
        raise fail(
            '[category] 没有 default：对应不上的分类需要一个默认分类，如 default = "16"',
            "[category] has no default: categories that match nothing need one, "
            'e.g. default = "16"',
        )

    def check_code(code: Any, where: str) -> str:
        if not isinstance(code, str):
            raise fail(
                f'{where} 必须是加引号的分类代码，如 "0102"；现在是 {code!r}',
                f'{where} must be a category code in quotes, e.g. "0102"; got {code!r}',
            )
        code = code.strip()
        if not 2 <= len(code) <= LIMITS["category"] or not code.isalnum():
            raise fail(
                f"{where} 的 '{code}' 不是分类代码（2 到 {LIMITS['category']} 位字母数字）",
                f"{where} '{code}' is not a category code (2 to {LIMITS['category']} letters "
                f"or digits)",
            )
        if known_codes is not None and code not in known_codes:
            raise fail(
                f"{where} 的 '{code}' 不在分类目录中",
                f"{where} '{code}' is not in the category catalog",
            )
        return code

    default = check_code(default, "[category] default")
    separators = category.get("separators", _DEFAULT_SEPARATORS)
    if not isinstance(separators, str) or not separators:
        raise fail(
            "[category] separators 必须是非空字符串",
            "[category] separators must be a non-empty string",
        )
    table = category.get("map", {})
    if not isinstance(table, dict):
        raise fail("[category.map] 必须是表", "[category.map] must be a table")
    category_map: dict[str, str] = {}
    for key, code in table.items():
        category_map[_norm(key)] = check_code(code, f"[category.map] '{key}'")

    urgency = data.get("urgency", {})
    if not isinstance(urgency, dict):
        raise fail("[urgency] 必须是表", "[urgency] must be a table")
    levels = {u.value for u in Urgency}
    unknown = sorted(set(urgency) - levels)
    if unknown:
        raise fail(
            f"[urgency] 中有未知的紧急程度 {', '.join(unknown)}；可用: {', '.join(sorted(levels))}",
            f"unknown urgency {', '.join(unknown)} in [urgency]; "
            f"known: {', '.join(sorted(levels))}",
        )
    lists: dict[str, frozenset[str]] = {}
    for level, fallback in (("urgent", _DEFAULT_URGENT), ("normal", _DEFAULT_NORMAL)):
        values = _string_list(urgency.get(level, list(fallback)))
        if values is None:
            raise fail(
                f"[urgency] {level} 必须是文字的列表", f"[urgency] {level} must be a list of texts"
            )
        lists[level] = frozenset(_norm(v) for v in values) | {level}
    both = lists["urgent"] & lists["normal"]
    if both:
        raise fail(
            f"[urgency] 中 {', '.join(sorted(both))} 既是 urgent 又是 normal",
            f"[urgency] lists {', '.join(sorted(both))} as both urgent and normal",
        )

    title = data.get("name", path.stem)
    return IntakeMapping(
        name=str(title),
        path=path,
        columns=columns,
        required=tuple(required),
        category_default=default,
        category_map=category_map,
        separators=separators,
        urgent=lists["urgent"],
        normal=lists["normal"],
        title_chars=title_chars,
    )


# --------------------------------------------------------------------------- reading the file


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 1 << 20


# What a reader raises part-way through a damaged file (a broken deflate stream, bad XML ...).
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, ParseError)


class _MultiLine(tuple):
    """A CSV record that spans several lines of the file (a cell holds a line break)."""

    lines: tuple[int, int]  # first and last line of the file


class _Book:
    """A readable file: its sheets, and every row of one of them from row 1, as tuples."""

    format = ""
    encoding: str | None = None
    epoch = datetime(1899, 12, 30)  # day 0 of Excel serial dates (the 1900 date system)

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def sheet_names(self) -> list[str | None]:
        return [None]

    def rows(self, sheet: str | None) -> Iterator[tuple[Any, ...]]:
        raise NotImplementedError

    def total(self, sheet: str | None) -> int | None:
        return None

    def close(self) -> None:
        pass


class _XlsxBook(_Book):
    format = "xlsx"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        import openpyxl

        name = path.name
        try:
            with zipfile.ZipFile(path) as archive:
                members = set(archive.namelist())
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise IntakeFileError(
                "damaged_file",
                _both(
                    f"文件 {name} 已损坏：xlsx 的 zip 结构不完整（{exc}），可能下载或复制没有完成；"
                    f"请重新导出",
                    f"{name} is damaged: its zip structure is incomplete ({exc}), perhaps an "
                    f"unfinished download or copy; export it again",
                ),
                path=path,
            ) from None
        if "xl/workbook.xml" not in members:
            what = _zip_kind(members)
            raise IntakeFileError(
                "wrong_type",
                _both(
                    f"文件 {name} 是 zip 压缩包（{what[0]}），不是 Excel 工作簿；"
                    f"请导出 .xlsx、.xls 或 .csv",
                    f"{name} is a zip archive ({what[1]}), not an Excel workbook; "
                    f"export the list as .xlsx, .xls or .csv",
                ),
                path=path,
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "no default style" and the like: noise here
                self.book = openpyxl.load_workbook(
                    path, read_only=True, data_only=True, keep_links=False
                )
        except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
            raise IntakeFileError(
                "damaged_file",
                _both(
                    f"文件 {name} 无法作为 xlsx 读取（{type(exc).__name__}: {exc}）；"
                    f"请用 Excel 打开后重新保存，或重新导出",
                    f"{name} could not be read as xlsx ({type(exc).__name__}: {exc}); "
                    f"open and save it again in Excel, or export it again",
                ),
                path=path,
            ) from None
        self.epoch = self.book.epoch

    @property
    def sheet_names(self) -> list[str | None]:
        return list(self.book.sheetnames)

    def rows(self, sheet: str | None) -> Iterator[tuple[Any, ...]]:
        return self.book[sheet].iter_rows(values_only=True)

    def total(self, sheet: str | None) -> int | None:
        worksheet = self.book[sheet]
        try:
            rows = worksheet.max_row
        except Exception:  # an unreadable dimension
            rows = None
        if rows and rows > 1:
            return rows
        # No dimension, or the "A1" some writers (openpyxl's write-only mode, streaming Java
        # exporters) leave: find the last row in the sheet's XML, which costs a decompression
        # and a scan but no parsing.
        try:
            return _last_xml_row(self.path, worksheet._worksheet_path)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, AttributeError):
            return None

    def close(self) -> None:
        self.book.close()


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>][^>]*")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')


def _last_xml_row(path: Path, member: str) -> int | None:
    """The number of the last <row> of a sheet's XML (its r attribute, else the rows counted)."""
    count, last, carry = 0, 0, b""
    with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            buffer = carry + chunk
            cut = buffer.rfind(b"<") if chunk else len(buffer)  # no tag is split between reads
            cut = len(buffer) if cut < 0 else cut
            for tag in _ROW_TAG.finditer(buffer, 0, cut):
                count += 1
                number = _ROW_NUMBER.search(tag.group())
                if number:
                    last = int(number.group(1))
            carry = buffer[cut:]
            if not chunk:
                break
    return max(count, last) or None


def _zip_kind(members: set[str]) -> tuple[str, str]:
    if "xl/workbook.bin" in members:
        return (
            "Excel 二进制工作簿 .xlsb，请另存为 .xlsx",
            "an Excel binary workbook .xlsb: save it as .xlsx",
        )
    if "word/document.xml" in members:
        return "Word 文档", "a Word document"
    if "ppt/presentation.xml" in members:
        return "PowerPoint 演示文稿", "a PowerPoint presentation"
    if "content.xml" in members:
        return "OpenDocument 文件", "an OpenDocument file"
    return "没有工作簿", "no workbook inside"


class _XlsBook(_Book):
    format = "xls"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        import xlrd

        self._xlrd = xlrd
        try:
            self.book = xlrd.open_workbook(path, on_demand=True)
        except Exception as exc:  # xlrd.XLRDError, struct errors on damaged files
            raise IntakeFileError(
                "damaged_file",
                _both(
                    f"文件 {path.name} 无法作为 .xls 读取（{exc}）；它可能设置了打开密码、已损坏，"
                    f"或是 Word 等其他 Office 文档：请用 Excel 打开后另存为 .xlsx",
                    f"{path.name} could not be read as .xls ({exc}); it may have a password, be "
                    f"damaged, or be another Office document: open it in Excel and save it as "
                    f".xlsx",
                ),
                path=path,
            ) from None
        self.datemode = self.book.datemode
        if self.datemode:
            self.epoch = datetime(1904, 1, 1)  # the Mac 1904 date system

    @property
    def sheet_names(self) -> list[str | None]:
        return list(self.book.sheet_names())

    def rows(self, sheet: str | None) -> Iterator[tuple[Any, ...]]:
        xlrd = self._xlrd
        table = self.book.sheet_by_name(sheet)
        for i in range(table.nrows):
            values = []
            for cell in table.row(i):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        values.append(xlrd.xldate_as_datetime(cell.value, self.datemode))
                    except (xlrd.xldate.XLDateError, ValueError, OverflowError):
                        values.append(cell.value)
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    values.append(None)
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    values.append(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    values.append(bool(cell.value))
                else:
                    values.append(cell.value)
            yield tuple(values)

    def total(self, sheet: str | None) -> int | None:
        return self.book.sheet_by_name(sheet).nrows

    def close(self) -> None:
        self.book.release_resources()


class _CsvBook(_Book):
    format = "csv"

    def __init__(self, path: Path, *, encoding: str | None, delimiter: str | None) -> None:
        super().__init__(path)
        codec, label, lines = _detect_encoding(path, encoding)
        self.codec = codec
        self.encoding = label
        self.lines = lines
        if delimiter is None:
            with path.open(encoding=codec, newline="") as handle:
                head = list(itertools.islice(handle, HEADER_SCAN_ROWS))
            delimiter = _sniff_delimiter(head)
        self.delimiter = delimiter

    def rows(self, sheet: str | None) -> Iterator[tuple[Any, ...]]:
        with self.path.open(encoding=self.codec, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            while True:
                start = reader.line_num
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    row = reader.line_num
                    raise IntakeFileError(
                        "damaged_file",
                        _both(
                            f"文件 {self.path.name} 第 {row} 行附近不是有效的 CSV（{exc}）",
                            f"{self.path.name} is not valid CSV near line {row} ({exc})",
                        ),
                        path=self.path,
                        row=row,
                    ) from None
                if reader.line_num - start > 1:
                    multi = _MultiLine(record)
                    multi.lines = (start + 1, reader.line_num)
                    yield multi
                else:
                    yield tuple(record)

    def total(self, sheet: str | None) -> int | None:
        return self.lines


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """',' unless tabs (or ';' or '|') split the first lines into more cells."""
    best, best_count = ",", 0
    for candidate in (",", "\t", ";", "|"):
        count = max((line.count(candidate) for line in lines), default=0)
        if count > best_count:
            best, best_count = candidate, count
    return best


def _detect_encoding(path: Path, given: str | None) -> tuple[str, str, int]:
    """(codec, label for the summary, line count) of a text file, decoding all of it."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if given is not None:
        try:
            codec = codecs.lookup(given).name
        except LookupError:
            raise ValueError(
                f"encoding must be a codec Python knows, e.g. gb18030; got {given!r}"
            ) from None
        candidates = [(codec, f"{given.upper()} (given)")]
    elif head.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", "UTF-8 with BOM (detected)")]
    elif head[:2] in _UTF16_BOMS:
        candidates = [("utf-16", "UTF-16 (detected)")]
    else:
        candidates = [("utf-8", "UTF-8 (detected)"), ("gb18030", "GB18030 (detected)")]
    furthest = 0  # the codec that decodes furthest is the likeliest: name where it fails
    for codec, label in candidates:
        lines, bad_offset = _decode_all(path, codec)
        if bad_offset is None:
            return codec, label, lines
        furthest = max(furthest, bad_offset)
    bad_line = _line_of(path, furthest)
    name = path.name
    if given is not None:
        raise IntakeFileError(
            "bad_encoding",
            _both(
                f"文件 {name} 第 {bad_line} 行不是 {given} 编码",
                f"line {bad_line} of {name} is not {given}",
            ),
            path=path,
            row=bad_line,
        )
    raise IntakeFileError(
        "bad_encoding",
        _both(
            f"文件 {name} 第 {bad_line} 行含有既不是 UTF-8 也不是 GB18030 的字节，无法识别编码；"
            f"请另存为 UTF-8 的 CSV",
            f"line {bad_line} of {name} has bytes that are neither UTF-8 nor GB18030; save the "
            f"file as CSV UTF-8 and try again",
        ),
        path=path,
        row=bad_line,
    )


def _decode_all(path: Path, codec: str) -> tuple[int, int | None]:
    """(newlines, None) when the whole file decodes with `codec`, else (0, offset of the first
    byte that does not)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    lines = done = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                lines += decoder.decode(chunk, final=not chunk).count("\n")
            except UnicodeDecodeError as exc:
                return 0, done + max(exc.start, 0)
            if not chunk:
                return lines, None
            done += len(chunk)


def _line_of(path: Path, offset: int) -> int:
    with path.open("rb") as handle:
        return handle.read(offset).count(b"\n") + 1


def _open_book(path: Path, *, encoding: str | None, delimiter: str | None) -> _Book:
    """The file as a _Book, by its content; IntakeFileError when it is no table we read."""
    name = path.name
    if not path.is_file():
        raise IntakeFileError(
            "file_not_found",
            _both(f"找不到文件 {path}", f"{path} does not exist or is not a file"),
            path=path,
        )
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        raise IntakeFileError(
            "empty_file",
            _both(f"文件 {name} 是空的（0 字节）", f"{name} is empty (0 bytes)"),
            path=path,
        )
    if head.startswith(_ZIP):
        return _XlsxBook(path)
    if head.startswith(_OLE):
        return _XlsBook(path)
    wrong = _wrong_type(head)
    if wrong is not None:
        zh, en, advice_zh, advice_en = wrong
        raise IntakeFileError(
            "wrong_type",
            _both(
                f"文件 {name} 不是表格，而是{zh}；{advice_zh}",
                f"{name} is {en}, not a spreadsheet; {advice_en}",
            ),
            path=path,
        )
    return _CsvBook(path, encoding=encoding, delimiter=delimiter)


_EXPORT_ZH = "请从业务系统导出 .xlsx、.xls 或 .csv 后再导入"
_EXPORT_EN = "export the list as .xlsx, .xls or .csv and import that"
_RESAVE_ZH = "请用 Excel 打开后另存为 .xlsx 再导入"
_RESAVE_EN = "open it in Excel, save it as .xlsx and import that"


def _wrong_type(head: bytes) -> tuple[str, str, str, str] | None:
    """(what it is in Chinese, in English, advice in Chinese, in English) for a file that is not
    text, or is a web page or XML saved under a spreadsheet's name; None for text."""
    if head.startswith(b"%PDF"):
        return " PDF 文档", "a PDF document", _EXPORT_ZH, _EXPORT_EN
    for magic, zh, en in (
        (b"\x89PNG", " PNG 图片", "a PNG image"),
        (b"\xff\xd8\xff", " JPEG 图片", "a JPEG image"),
        (b"Rar!", " RAR 压缩包", "a RAR archive"),
        (b"7z\xbc\xaf", " 7z 压缩包", "a 7z archive"),
        (b"\x1f\x8b", " gzip 压缩文件", "a gzip file"),
    ):
        if head.startswith(magic):
            return zh, en, _EXPORT_ZH, _EXPORT_EN
    if head[:2] in _UTF16_BOMS:
        return None  # UTF-16 text ("Unicode text" from Excel) has NUL bytes: read it as text
    text = head.lstrip(codecs.BOM_UTF8).lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")) or (
        text.startswith(b"<") and b"<table" in text
    ):
        return (
            "网页（HTML，常见于网页系统导出的 .xls）",
            "a web page (HTML)",
            _RESAVE_ZH,
            _RESAVE_EN,
        )
    if text.startswith(b"<?xml"):
        return "XML 文件（如 Excel 2003 XML 表格）", "an XML file", _RESAVE_ZH, _RESAVE_EN
    if b"\x00" in head:
        return (
            "二进制文件（不是 xlsx、xls 或文本 CSV）",
            "a binary file (not xlsx, xls or CSV text)",
            _EXPORT_ZH,
            _EXPORT_EN,
        )
    return None


# --------------------------------------------------------------------------- cell values


def _text(value: Any) -> str | None:
    """A cell as stripped text; integer-like numbers lose their '.0'; blank -> None."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith('="') and text.endswith('"') and len(text) >= 3:
            text = text[2:-1].strip()  # the ="..." some exports use to keep Excel off numbers
        return text or None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip() or None


def _shown(value: Any, limit: int = 40) -> str:
    """A value as quoted in a message, cut to `limit` characters."""
    text = _text(value) or ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_DATE = re.compile(
    r"""^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?
    (?:[\sT]*(?P<H>\d{1,2})\s*[:：时点]\s*
        (?:(?P<M>\d{1,2})\s*(?:[:：]|分)?\s*
            (?:(?P<S>\d{1,2})(?:\.(?P<f>\d+))?\s*秒?)?
        )?
    )?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$""",
    re.VERBOSE | re.IGNORECASE,
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$")
_SERIAL = re.compile(r"^\d{1,7}(\.\d+)?$")
_SERIAL_RANGE = (1.0, 2958466.0)  # 1900-01-01 .. 9999-12-31 in Excel's 1900 date system


class _NotADate(ValueError):
    pass


def _from_serial(serial: float, epoch: datetime) -> datetime:
    if not _SERIAL_RANGE[0] <= serial < _SERIAL_RANGE[1]:
        raise _NotADate
    if epoch.year == 1899 and serial < 60:
        serial += 1  # Excel's phantom 1900-02-29 shifts the first two months of 1900
    return _whole_second(epoch + timedelta(days=serial))


def _whole_second(value: datetime) -> datetime:
    """Round away the float noise of serial dates (14:02:59.9999 is 14:03:00)."""
    rounded = value.replace(microsecond=0)
    return rounded + timedelta(seconds=1) if value.microsecond >= 500_000 else rounded


def _parse_datetime(value: Any, epoch: datetime) -> datetime:
    """A cell as an aware datetime (Asia/Shanghai when it has no zone); _NotADate if it is not."""
    if isinstance(value, datetime):
        result = _whole_second(value)
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, time | bool):
        raise _NotADate
    elif isinstance(value, int | float):
        digits = _text(value) or ""
        result = (
            _parse_compact(digits) if _COMPACT.match(digits) else _from_serial(float(value), epoch)
        )
    else:
        text = (_text(value) or "").replace("\u3000", " ")
        result = _parse_text_date(text, epoch)
    if result.tzinfo is None:
        return result.replace(tzinfo=clock.zone())
    return result.astimezone(clock.zone())


def _parse_compact(text: str) -> datetime:
    match = _COMPACT.match(text)
    if match is None:
        raise _NotADate
    y, m, d, hh, mm, ss = match.groups()
    try:
        return datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        raise _NotADate from None


def _parse_text_date(text: str, epoch: datetime) -> datetime:
    match = _DATE.match(text)
    if match is None:
        if _COMPACT.match(text):
            return _parse_compact(text)
        if _SERIAL.match(text):
            return _from_serial(float(text), epoch)
        raise _NotADate
    g = match.groupdict()
    micro = int((g["f"] or "0")[:6].ljust(6, "0"))
    try:
        result = datetime(
            int(g["y"]),
            int(g["m"]),
            int(g["d"]),
            int(g["H"] or 0),
            int(g["M"] or 0),
            int(g["S"] or 0),
            micro,
        )
    except ValueError:
        raise _NotADate from None
    tz = g["tz"]
    if tz:
        offset = timedelta(0)
        if tz.upper() != "Z":
            digits = tz[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            offset = -offset if tz[0] == "-" else offset
        result = result.replace(tzinfo=timezone(offset))
    return _whole_second(result)


def _number(value: Any) -> float | None:
    """A coordinate cell as a float; None when blank; ValueError when it is not a number."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        return float(value)
    text = (_text(value) or "").rstrip("°")
    if not text:
        return None
    return float(text)


_PHONE_SPLIT = re.compile(r"[,，;；/、|\s]+")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)
_GEOGRAPHIC = {"wgs84", "cgcs2000", "gcj02", "bd09"}


def _usable_phone(text: str) -> bool:
    try:
        Reporter(phone=text)
    except ValidationError:
        return False
    return True


def _derive_title(description: str, chars: int) -> str:
    """The first sentence of the description if it is short, else its first `chars` characters."""
    flat = " ".join(description.split())
    if len(flat) <= chars:
        return flat
    head = flat[: chars + 1]
    ends = [head.find(mark) for mark in "。！？!?；;"]
    ends = [e for e in ends if e >= 8]
    if ends:
        return flat[: min(ends)]
    return flat[:chars].rstrip("，,、 ") + "…"


# --------------------------------------------------------------------------- row results


class Outcome(StrEnum):
    ok = "ok"  # ready for EventIn (coordinates may still be missing: geocode the address)
    refused = "refused"
    duplicate = "duplicate"  # an earlier row of the file has its external_id


class RowFlag(StrEnum):
    category_defaulted = "category_defaulted"
    title_derived = "title_derived"
    phone_invalid = "phone_invalid"
    phone_multiple = "phone_multiple"
    urgency_unknown = "urgency_unknown"
    text_truncated = "text_truncated"
    occurred_in_future = "occurred_in_future"


@dataclass(frozen=True, slots=True)
class Flag:
    """Something done to a kept row that the command room should know, with a note saying what."""

    code: RowFlag
    note: str


@dataclass(frozen=True, slots=True)
class RowResult:
    """One data row: its number as Excel shows it, and the fields for EventIn or the reason why
    not. `fields` has EventIn's keys; lon and lat are None when the row has no coordinates."""

    row: int
    outcome: Outcome
    fields: dict[str, Any] | None = None
    flags: tuple[Flag, ...] = ()  # on kept rows only: a refused row has its reason
    reason: str | None = None  # why refused or duplicate, without the row number
    column: str | None = None  # the (first) column the reason is about
    external_id: str | None = None
    duplicate_of: int | None = None  # the row that first had this external_id

    @property
    def ok(self) -> bool:
        """True when the row can go on to geocoding, routing and storage."""
        return self.outcome is Outcome.ok

    @property
    def message(self) -> str:
        """'第 57 行: 受理时间 '2026-13-01' 不是日期', or the flags' notes of a kept row."""
        if self.reason is not None:
            return f"第 {self.row} 行: {self.reason}"
        if self.flags:
            return f"第 {self.row} 行: " + "；".join(f.note for f in self.flags)
        return f"第 {self.row} 行: ok"


@dataclass
class IntakeSummary:
    """What was read from one file; the counts are final once `complete` is True."""

    path: str
    format: str  # xlsx, xls or csv (by content)
    encoding: str | None  # CSV only, e.g. "GB18030 (detected)"
    sheet: str | None
    header_row: int
    columns_used: dict[str, str]  # field -> the file's column
    mapping: str
    rows_read: int = 0  # data rows, blank rows not counted
    ok: int = 0
    refused: int = 0
    duplicates: int = 0
    flagged: int = 0  # ok rows with at least one flag
    blank_rows: int = 0
    flag_counts: dict[str, int] = field(default_factory=dict)
    complete: bool = False

    def render(self) -> str:
        """The summary as lines for a terminal or a log (Chinese, like the file's users)."""
        where = f"工作表 '{self.sheet}'，" if self.sheet else ""
        lines = [
            f"文件: {Path(self.path).name}（{self.format}，{where}表头在第 {self.header_row} 行，"
            f"映射: {self.mapping}）"
        ]
        if self.encoding:
            lines.append(f"编码: {self.encoding}")
        lines.append("列: " + "，".join(f"{k} ← {v}" for k, v in self.columns_used.items()))
        lines.append(
            f"行: 读取 {self.rows_read}，可导入 {self.ok}（其中有标记 {self.flagged}），"
            f"拒绝 {self.refused}，文件内重复 {self.duplicates}"
            + ("" if self.complete else "（未读完）")
        )
        if self.flag_counts:
            lines.append(
                "标记: " + "，".join(f"{k} {v}" for k, v in sorted(self.flag_counts.items()))
            )
        return "\n".join(lines)


# --------------------------------------------------------------------------- the file


@dataclass(frozen=True)
class _Column:
    field: str
    index: int
    name: str  # as the file writes it


class IntakeFile:
    """An opened file whose header and columns were found; `rows()` reads it once, lazily.

    Use `open_intake`, and close it (or use it as a context manager).
    """

    def __init__(
        self,
        path: Path,
        *,
        mapping: IntakeMapping,
        source: EventSource,
        crs: str,
        sheet: str | None,
        header_row: int | None,
        encoding: str | None,
        delimiter: str | None,
        progress: ProgressCallback | None,
        progress_every: int,
        now: datetime,
    ) -> None:
        self.path = path
        self.mapping = mapping
        self.source = source
        self.crs = crs
        self.geographic = crs in _GEOGRAPHIC or _is_geographic_epsg(crs)
        self.progress = progress
        self.progress_every = progress_every
        self.now = now
        self._read = False
        self._book = _open_book(path, encoding=encoding, delimiter=delimiter)
        try:
            self._find_table(sheet, header_row)
        except BaseException:
            self._book.close()
            raise
        self._categories: dict[str, tuple[str, bool]] = {}
        self._first_row: dict[str, int] = {}

    # ------------------------------------------------------------------ opening

    def _find_table(self, sheet: str | None, header_row: int | None) -> None:
        book, name = self._book, self.path.name
        sheets = book.sheet_names
        if sheet is not None:
            if book.format == "csv":
                raise ValueError(f"sheet is for workbooks; {name} is a CSV file")
            if sheet not in sheets:
                listed = "、".join(f"'{s}'" for s in sheets)
                raise IntakeFileError(
                    "sheet_not_found",
                    _both(
                        f"文件 {name} 中没有工作表 '{sheet}'；工作表有: {listed}",
                        f"{name} has no sheet '{sheet}'; its sheets are: {listed}",
                    ),
                    path=self.path,
                )
            sheets = [sheet]
        for candidate in sheets:
            try:
                self._find_header(candidate, header_row)
                return
            except IntakeFileError as exc:
                if exc.code not in ("no_header", "empty_file") or len(sheets) == 1:
                    raise
        listed = "、".join(f"'{s}'" for s in sheets)
        examples = self._examples()
        raise IntakeFileError(
            "no_header",
            _both(
                f"文件 {name} 的工作表 {listed} 里都找不到表头：前 {HEADER_SCAN_ROWS} 行没有一行"
                f"含有映射（{self.mapping.name}）中的列名，如 {examples}",
                f"no sheet of {name} ({listed.replace('、', ', ')}) has a header row: none of "
                f"their first {HEADER_SCAN_ROWS} rows has the column names of the mapping "
                f"({self.mapping.name}), e.g. {examples.replace('、', ', ')}",
            ),
            path=self.path,
        )

    def _examples(self) -> str:
        return "、".join(names[0] for names in list(self.mapping.columns.values())[:3])

    def _find_header(self, sheet: str | None, header_row: int | None) -> None:
        book, name, mapping = self._book, self.path.name, self.mapping
        rows = book.rows(sheet)
        self._rows, self._row_number = rows, 0
        scan = [
            values
            for _, values in itertools.islice(
                self._numbered(), max(HEADER_SCAN_ROWS, header_row or 0)
            )
        ]
        in_sheet = f" 的工作表 '{sheet}'" if sheet else ""
        in_sheet_en = f", sheet '{sheet}'" if sheet else ""
        if not any(_text(v) for row in scan for v in row):
            raise IntakeFileError(
                "empty_file",
                _both(f"文件 {name}{in_sheet} 没有内容", f"{name}{in_sheet_en} has no rows"),
                path=self.path,
            )
        wanted = {_norm(c): f for f, names in mapping.columns.items() for c in names}
        needed = min(2, len(mapping.columns))
        if header_row is not None:
            if header_row < 1 or header_row > len(scan):
                raise ValueError(
                    f"header_row must be in [1, {len(scan)}] for {name}; got {header_row}"
                )
            index = header_row - 1
        else:
            index = next(
                (
                    i
                    for i, row in enumerate(scan)
                    if len({wanted[k] for v in row if (k := _norm(_text(v) or "")) in wanted})
                    >= needed
                ),
                -1,
            )
            if index < 0:
                examples = self._examples()
                shown_at = next(i for i, row in enumerate(scan) if any(_text(v) for v in row))
                cells = ", ".join(_shown(v, 20) for v in scan[shown_at] if _text(v))
                raise IntakeFileError(
                    "no_header",
                    _both(
                        f"文件 {name}{in_sheet} 的前 {len(scan)} 行里找不到表头：没有一行含有映射"
                        f"（{mapping.name}）中的列名，如 {examples}；"
                        f"第 {shown_at + 1} 行是: {cells}",
                        f"no header row in the first {len(scan)} rows of {name}{in_sheet_en}: no "
                        f"row has the column names of the mapping ({mapping.name}), e.g. "
                        f"{examples.replace('、', ', ')}; row {shown_at + 1} reads: {cells}",
                    ),
                    path=self.path,
                )
        self.sheet = sheet
        self.header_row = index + 1
        header = [_text(v) or "" for v in scan[index]]
        self.header = header
        self._resolve_columns(header)
        self._rows = itertools.chain(scan[index + 1 :], rows)
        self._row_number = self.header_row
        # Peek at the first data row: a file with a header and nothing under it is refused now.
        self._pending: list[tuple[int, tuple[Any, ...]]] = []
        self._blank_before = 0
        for number, values in self._numbered():
            if any(_text(v) for v in values):
                self._pending.append((number, values))
                break
            self._blank_before += 1
        if not self._pending:
            raise IntakeFileError(
                "no_data",
                _both(
                    f"文件 {name}{in_sheet} 只有表头（第 {self.header_row} 行），没有数据行",
                    f"{name}{in_sheet_en} has a header (row {self.header_row}) but no data rows",
                ),
                path=self.path,
                row=self.header_row,
            )
        total = book.total(sheet)
        self.total = None if total is None else max(total - self.header_row, 1)

    def _numbered(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        while True:
            try:
                values = next(self._rows)
            except StopIteration:
                return
            except IntakeFileError:
                raise
            except _DAMAGE as exc:
                raise self._damaged(exc, self._row_number) from None
            self._row_number += 1
            yield self._row_number, values

    def _damaged(self, exc: Exception, after_row: int) -> IntakeFileError:
        name = self.path.name
        return IntakeFileError(
            "damaged_file",
            _both(
                f"文件 {name} 读到第 {after_row} 行后出错（{type(exc).__name__}: {exc}），"
                f"文件可能不完整；请重新导出",
                f"{name} failed after row {after_row} ({type(exc).__name__}: {exc}); the file "
                f"may be incomplete: export it again",
            ),
            path=self.path,
            row=after_row,
        )

    def _resolve_columns(self, header: list[str]) -> None:
        mapping, name = self.mapping, self.path.name
        positions: dict[str, int] = {}
        for i, cell in enumerate(header):
            if cell:
                positions.setdefault(_norm(cell), i)
        columns: dict[str, _Column] = {}
        for fname, names in mapping.columns.items():
            for candidate in names:
                i = positions.get(_norm(candidate))
                if i is not None:
                    columns[fname] = _Column(fname, i, header[i])
                    break
        has = [c for c in header if c]
        has_text = ", ".join(has) or "（无）"

        def missing(zh: str, en: str) -> IntakeFileError:
            return IntakeFileError(
                "missing_columns",
                _both(
                    f"文件 {name} 缺少{zh}；文件的列（第 {self.header_row} 行）: {has_text}",
                    f"{name} lacks {en}; the file's columns (row {self.header_row}): {has_text}",
                ),
                path=self.path,
                row=self.header_row,
                columns=has,
            )

        absent = [f for f in mapping.required if f not in columns]
        if absent:
            zh = "；".join(f"{f}（{' 或 '.join(mapping.columns[f])}）" for f in absent)
            en = "; ".join(f"{f} (one of {', '.join(mapping.columns[f])})" for f in absent)
            raise missing(f"必需的列: {zh}", f"required columns: {en}")
        if "title" not in columns and "description" not in columns:
            wanted = " 或 ".join(
                (*mapping.columns.get("title", ()), *mapping.columns.get("description", ()))
            )
            raise missing(
                f"标题或内容的列（{wanted or '映射中没有'}）",
                f"a title or description column ({wanted.replace(' 或 ', ', ') or 'none mapped'})",
            )
        if ("lon" in columns) != ("lat" in columns):
            present, absent_one = ("lon", "lat") if "lon" in columns else ("lat", "lon")
            raise missing(
                f"{absent_one} 的列（{' 或 '.join(mapping.columns[absent_one])}），"
                f"却有 {present} 的列 '{columns[present].name}'",
                f"a {absent_one} column (one of {', '.join(mapping.columns[absent_one])}) beside "
                f"its {present} column '{columns[present].name}'",
            )
        if "address" not in columns and "lon" not in columns:
            wanted = " 或 ".join(
                (*mapping.columns.get("address", ()), *mapping.columns.get("lon", ()))
            )
            raise missing(
                f"地址或坐标的列（{wanted or '映射中没有'}），事件无法定位",
                f"an address or coordinate column ({wanted.replace(' 或 ', ', ') or 'none mapped'})"
                f": the events could not be placed",
            )
        self.columns = columns
        self._width = max(c.index for c in columns.values()) + 1  # cells a row needs
        self.summary = IntakeSummary(
            path=str(self.path),
            format=self._book.format,
            encoding=self._book.encoding,
            sheet=self.sheet,
            header_row=self.header_row,
            columns_used={f: c.name for f, c in columns.items()},
            mapping=mapping.name,
        )

    # ------------------------------------------------------------------ reading

    def rows(self) -> Iterator[RowResult]:
        """Every data row below the header, in order, as a RowResult; blank rows are skipped.

        Can be read once. A file that turns out to be damaged part-way raises IntakeFileError
        naming the last row read.
        """
        if self._read:
            raise RuntimeError("rows() can be read once; open the file again to read it again")
        self._read = True
        summary, every, progress = self.summary, self.progress_every, self.progress
        done = self._blank_before
        summary.blank_rows = self._blank_before
        flag_counts: Counter[str] = Counter()
        try:
            for number, values in itertools.chain(self._pending, self._numbered()):
                done += 1
                if progress is not None and done % every == 0:
                    progress(done, self.total if self.total is None else max(self.total, done))
                if not any(_text(v) for v in values):
                    summary.blank_rows += 1
                    continue
                result = self._row(number, values)
                summary.rows_read += 1
                if result.outcome is Outcome.ok:
                    summary.ok += 1
                    if result.flags:
                        summary.flagged += 1
                        flag_counts.update(f.code.value for f in result.flags)
                elif result.outcome is Outcome.duplicate:
                    summary.duplicates += 1
                else:
                    summary.refused += 1
                yield result
            summary.flag_counts = dict(flag_counts)
            summary.complete = True
            if progress is not None:
                progress(done, done)
        finally:
            summary.flag_counts = dict(flag_counts)
            self.close()

    def _cell(self, values: tuple[Any, ...], fname: str) -> Any:
        column = self.columns.get(fname)
        if column is None or column.index >= len(values):
            return None
        return values[column.index]

    def _row(self, number: int, values: tuple[Any, ...]) -> RowResult:
        """Map and check one non-blank row; every problem found becomes part of one refusal."""
        refusals: list[tuple[str, str]] = []  # (column, reason)
        flags: list[Flag] = []
        if isinstance(values, _MultiLine) and len(values) < self._width:
            # An unclosed quote makes one cell of the rest of the file (or up to the next
            # quote): the record then spans lines but has too few cells. Rows were swallowed.
            first, last = values.lines
            return RowResult(
                row=number,
                outcome=Outcome.refused,
                reason=f"这一行从文件第 {first} 行跨到第 {last} 行，却只有 {len(values)} 列"
                f"（映射的列到第 {self._width} 列）：可能有未闭合的引号，把后面的行并进了这一行；"
                f"请检查引号后重新导出",
                external_id=_text(self._cell(values, "external_id")),
            )
        texts = {f: _text(self._cell(values, f)) for f in self.columns}
        external_id, first = self._external_id(texts, values, number, refusals)
        if first is not None:  # a duplicate is reported as such, whatever else is wrong with it
            name = self.columns["external_id"].name
            return RowResult(
                row=number,
                outcome=Outcome.duplicate,
                reason=f"{name} '{external_id}' 与第 {first} 行重复",
                column=name,
                external_id=external_id,
                duplicate_of=first,
            )
        for fname in self.mapping.required:
            if texts.get(fname) is None:
                name = self.columns[fname].name
                refusals.append((name, f"{name} 为空"))
        title, description = self._title_and_description(texts, refusals, flags)
        address, lon, lat = self._place(texts, values, refusals, flags)
        occurred_at = self._when(values, refusals, flags)
        category_code = self._category(texts.get("category"), flags)
        urgency = self._urgency(texts.get("urgency"), flags)
        reporter = self._reporter(texts, flags)

        if refusals:
            return RowResult(
                row=number,
                outcome=Outcome.refused,
                reason="；".join(reason for _, reason in refusals),
                column=refusals[0][0],
                external_id=external_id,
            )
        payload = {
            "title": title,
            "description": description,
            "category_code": category_code,
            "urgency": urgency,
            "source": self.source,
            "lon": 0.0 if lon is None else lon,  # placeholders until the address is geocoded
            "lat": 0.0 if lat is None else lat,
            "crs": self.crs,
            "address": address,
            "occurred_at": occurred_at,
            "reporter": reporter,
            "external_id": external_id,
        }
        try:
            event = EventIn.model_validate(payload)
        except ValidationError as exc:  # a rule of EventIn this module does not check itself
            reason = "；".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            )
            return RowResult(
                row=number,
                outcome=Outcome.refused,
                reason=reason,
                column=None,
                external_id=external_id,
            )
        fields = event.model_dump()
        if fields.get("reporter"):  # a hotline file gives a name and a phone, nothing more
            for key in ("id_number", "address"):
                if fields["reporter"][key] is None:
                    del fields["reporter"][key]
        if lon is None:
            fields["lon"] = fields["lat"] = None
        return RowResult(
            row=number,
            outcome=Outcome.ok,
            fields=fields,
            flags=tuple(flags),
            external_id=external_id,
        )

    def _external_id(
        self,
        texts: dict[str, str | None],
        values: tuple[Any, ...],
        number: int,
        refusals: list[tuple[str, str]],
    ) -> tuple[str | None, int | None]:
        """(the row's external_id, the earlier row that has it, if any)."""
        external_id = texts.get("external_id")
        if external_id is None:
            return None, None
        name = self.columns["external_id"].name
        external_id = external_id.removeprefix("'").strip() or None  # '... keeps Excel off
        raw = self._cell(values, "external_id")
        if external_id and (
            _SCIENTIFIC.match(external_id) or (isinstance(raw, float) and abs(raw) >= 1e15)
        ):
            # Excel keeps 15 digits: a longer number is already rounded, the id is lost.
            refusals.append(
                (
                    name,
                    f"{name} '{external_id}' 已被 Excel 变成科学计数法或截去了末位，"
                    f"原编号已丢失：请把该列设为文本后重新导出",
                )
            )
            return None, None
        if external_id and len(external_id) > LIMITS["external_id"]:
            limit = LIMITS["external_id"]
            refusals.append((name, f"{name} '{_shown(external_id)}' 超过 {limit} 个字符"))
            return None, None
        if not external_id:
            return None, None
        first = self._first_row.setdefault(external_id, number)
        return external_id, (first if first != number else None)

    def _title_and_description(
        self, texts: dict[str, str | None], refusals: list[tuple[str, str]], flags: list[Flag]
    ) -> tuple[str | None, str]:
        cols, mapping = self.columns, self.mapping
        description = self._cut(texts.get("description") or "", "description", flags)
        title = texts.get("title")
        if title is not None:
            title = self._cut(" ".join(title.split()), "title", flags)
        elif description:
            title = _derive_title(description, mapping.title_chars)
            source = cols["description"].name
            flags.append(Flag(RowFlag.title_derived, f"标题取自 {source} 的开头"))
        elif "description" not in mapping.required and "title" not in mapping.required:
            names = " 和 ".join(cols[f].name for f in ("title", "description") if f in cols)
            refusals.append((names, f"{names} 为空"))
        return title, description

    def _place(
        self,
        texts: dict[str, str | None],
        values: tuple[Any, ...],
        refusals: list[tuple[str, str]],
        flags: list[Flag],
    ) -> tuple[str | None, float | None, float | None]:
        """(address, lon, lat): a row needs an address or coordinates to be placed at all."""
        cols = self.columns
        address = texts.get("address")
        if address is not None:
            address = self._cut(address, "address", flags)
        if "lon" not in cols:
            lon = lat = None
            if address is None and "address" not in self.mapping.required:
                name = cols["address"].name
                refusals.append((name, f"{name} 为空，无法定位"))
            return address, lon, lat
        before = len(refusals)
        lon, lat = self._coordinates(values, refusals)
        if (
            address is None
            and lon is None
            and len(refusals) == before  # bad coordinates are refused already
            and "address" not in self.mapping.required
        ):
            where = f"{cols['lon'].name}/{cols['lat'].name}"
            if "address" in cols:
                name = cols["address"].name
                refusals.append((name, f"{name} 为空，也没有坐标（{where}），无法定位"))
            else:
                refusals.append((cols["lon"].name, f"没有坐标（{where}），无法定位"))
        return address, lon, lat

    def _when(
        self, values: tuple[Any, ...], refusals: list[tuple[str, str]], flags: list[Flag]
    ) -> datetime | None:
        raw = self._cell(values, "occurred_at")
        if _text(raw) is None:
            return None
        name = self.columns["occurred_at"].name
        try:
            occurred_at = _parse_datetime(raw, self._book.epoch)
        except _NotADate:
            refusals.append((name, f"{name} '{_shown(raw)}' 不是日期"))
            return None
        if occurred_at > self.now + FUTURE_TOLERANCE:
            flags.append(
                Flag(
                    RowFlag.occurred_in_future,
                    f"{name} '{occurred_at:%Y-%m-%d %H:%M}' 晚于现在，请核对",
                )
            )
        return occurred_at

    def _cut(self, text: str, fname: str, flags: list[Flag]) -> str:
        limit = LIMITS[fname]
        if len(text) <= limit:
            return text
        name = self.columns[fname].name
        flags.append(Flag(RowFlag.text_truncated, f"{name} 超过 {limit} 个字，已截断"))
        return text[:limit]

    def _coordinates(
        self, values: tuple[Any, ...], refusals: list[tuple[str, str]]
    ) -> tuple[float | None, float | None]:
        cols = self.columns
        numbers: dict[str, float | None] = {}
        for fname in ("lon", "lat"):
            raw = self._cell(values, fname)
            try:
                numbers[fname] = _number(raw)
            except ValueError:
                name = cols[fname].name
                refusals.append((name, f"{name} '{_shown(raw)}' 不是数字"))
                return None, None
        lon, lat = numbers["lon"], numbers["lat"]
        if (lon is None and lat is None) or (lon == 0 and lat == 0):
            return None, None  # blank, or the 0/0 some systems write for "unknown"
        if lon is None or lat is None:
            given, blank = ("lon", "lat") if lat is None else ("lat", "lon")
            refusals.append(
                (cols[blank].name, f"{cols[given].name} 有值但 {cols[blank].name} 为空")
            )
            return None, None
        try:
            if self.geographic:
                check_lon_lat(lon, lat)
            elif not (abs(lon) < float("inf") and abs(lat) < float("inf")):
                raise InvalidCoordinates(f"coordinates must be finite, got ({lon}, {lat})")
        except InvalidCoordinates as exc:
            name = cols["lat" if exc.field == "lat" else "lon"].name
            refusals.append((name, f"坐标 ({lon:g}, {lat:g}) 不可用: {exc}"))
            return None, None
        return lon, lat

    def _category(self, value: str | None, flags: list[Flag]) -> str:
        mapping = self.mapping
        if value is None:
            where = (
                f"{self.columns['category'].name} 为空"
                if "category" in self.columns
                else "文件没有分类列"
            )
            flags.append(
                Flag(
                    RowFlag.category_defaulted, f"{where}，归入默认分类 {mapping.category_default}"
                )
            )
            return mapping.category_default
        cached = self._categories.get(value)
        if cached is None:
            code = mapping.category_for(value)
            cached = (code or mapping.category_default, code is not None)
            self._categories[value] = cached
        code, matched = cached
        if not matched:
            name = self.columns["category"].name
            flags.append(
                Flag(
                    RowFlag.category_defaulted,
                    f"{name} '{_shown(value)}' 没有对应的分类，归入默认分类 {code}",
                )
            )
        return code

    def _urgency(self, value: str | None, flags: list[Flag]) -> Urgency:
        if value is None:
            return Urgency.normal
        key = _norm(value)
        if key in self.mapping.urgent:
            return Urgency.urgent
        if key not in self.mapping.normal:
            name = self.columns["urgency"].name
            flags.append(
                Flag(RowFlag.urgency_unknown, f"{name} '{_shown(value)}' 不认识，按一般处理")
            )
        return Urgency.normal

    def _reporter(self, texts: dict[str, str | None], flags: list[Flag]) -> dict[str, str] | None:
        name = texts.get("reporter.name")
        if name is not None:
            name = self._cut(name, "reporter.name", flags)
        phone = texts.get("reporter.phone")
        if phone is not None:
            phone = phone.lstrip("'").strip()
            column = self.columns["reporter.phone"].name
            if not _usable_phone(phone):
                pieces = [p for p in _PHONE_SPLIT.split(phone) if p]
                usable = next((p for p in pieces if _usable_phone(p)), None)
                if usable is not None and len(pieces) > 1:
                    flags.append(
                        Flag(
                            RowFlag.phone_multiple,
                            f"{column} '{_shown(phone)}' 含多个号码，只用 {usable}",
                        )
                    )
                else:
                    flags.append(
                        Flag(
                            RowFlag.phone_invalid,
                            f"{column} '{_shown(phone)}' 不是电话号码，未导入",
                        )
                    )
                phone = usable
        if name is None and phone is None:
            return None
        return {"name": name, "phone": phone}

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Release the file (rows() does this when it ends)."""
        self._book.close()

    def __enter__(self) -> IntakeFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _is_geographic_epsg(crs: str) -> bool:
    if not crs.startswith("EPSG:"):
        return False
    import pyproj

    return pyproj.CRS.from_user_input(crs).is_geographic


def open_intake(
    path: str | Path,
    *,
    mapping: IntakeMapping | None = None,
    source: EventSource | str = EventSource.hotline,
    crs: str = "wgs84",
    sheet: str | None = None,
    header_row: int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: ProgressCallback | None = None,
    progress_every: int = PROGRESS_EVERY,
    now: datetime | None = None,
) -> IntakeFile:
    """Open a hotline or department file, find its header and columns; IntakeFileError if the
    file cannot be read at all. `crs` is that of the file's lon/lat columns, if it has them."""
    if not isinstance(path, str | Path):
        raise TypeError(f"path must be a str or pathlib.Path; got {type(path).__name__}")
    if mapping is not None and not isinstance(mapping, IntakeMapping):
        raise TypeError(
            f"mapping must be an IntakeMapping (load_mapping); got {type(mapping).__name__}"
        )
    try:
        source = EventSource(source)
    except ValueError:
        known = ", ".join(s.value for s in EventSource)
        raise ValueError(f"source must be one of {known}; got {source!r}") from None
    crs = parse_crs(crs)
    if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int)):
        raise TypeError(f"header_row must be an int or None; got {type(header_row).__name__}")
    if delimiter is not None and len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character; got {delimiter!r}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None; got {type(progress).__name__}")
    if (
        isinstance(progress_every, bool)
        or not isinstance(progress_every, int)
        or progress_every < 1
    ):
        raise ValueError(f"progress_every must be a whole number >= 1; got {progress_every!r}")
    if now is None:
        now = clock.now()
    elif now.tzinfo is None:
        raise ValueError("now must be an aware datetime (with a zone)")
    return IntakeFile(
        Path(path),
        mapping=mapping or load_mapping(),
        source=source,
        crs=crs,
        sheet=sheet,
        header_row=header_row,
        encoding=encoding,
        delimiter=delimiter,
        progress=progress,
        progress_every=progress_every,
        now=now,
    )


def read_intake(path: str | Path, **options: Any) -> tuple[list[RowResult], IntakeSummary]:
    """Every row of a file and its summary (open_intake's options); for files that fit in memory."""
    with open_intake(path, **options) as intake:
        rows = list(intake.rows())
        return rows, intake.summary


# --------------------------------------------------------------------------- the row report

REPORT_COLUMNS = ("row", "external_id", "outcome", "reason", "flags")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str | None) -> str:
    """A cell Excel will show as text, never run as a formula."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_row_report(rows: Iterable[RowResult], path: str | Path) -> int:
    """Write one CSV line per row (UTF-8 with BOM, so Excel shows the Chinese); the rows written.

    Columns: row, external_id, outcome, reason (the refusal, or the flags' notes of a kept row),
    flags (codes, ';'-separated).
    """
    count = 0
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_COLUMNS)
        for result in rows:
            reason = result.reason or "；".join(f.note for f in result.flags)
            writer.writerow(
                (
                    result.row,
                    _safe(result.external_id),
                    result.outcome.value,
                    _safe(reason),
                    ";".join(f.code.value for f in result.flags),
                )
            )
            count += 1
    return count
