"""Reading hotline and department files (api/intake/files.py), on real files the tests write."""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import xlwt

from api.events.schemas import EventIn
from api.intake.files import (
    DEFAULT_MAPPING,
    IntakeFileError,
    MappingError,
    Outcome,
    RowFlag,
    load_mapping,
    open_intake,
    read_intake,
    write_row_report,
)

REPO = Path(__file__).resolve().parents[2]
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=SH)

HEADER = ["序号", "工单编号", "诉求标题", "诉求内容", "诉求地址", "来电人", "联系电话", "受理时间",
          "诉求分类", "紧急程度", "办理状态"]  # fmt: skip


def order(n: int, **overrides) -> list:
    """One realistic 12345 work order as a row of HEADER."""
    row = {
        "序号": n,
        "工单编号": f"ZJ12345-202611-{n:05d}",
        "诉求标题": None,
        "诉求内容": f"桥头东侧有一堆生活垃圾未清运，气味很大，已经三天了。请尽快处理（{n}）",
        "诉求地址": f"龙洲街道某路 {n} 号",
        "来电人": "张先生",
        "联系电话": "13800000000",
        "受理时间": "2026-11-20 14:03:00",
        "诉求分类": "城市管理-市容环境-暴露垃圾",
        "紧急程度": "一般",
        "办理状态": "待办理",
    }
    row.update(overrides)
    return [row[c] for c in HEADER]


def write_xlsx(path: Path, rows: list[list], *, title: str | None = None, sheet="工单") -> Path:
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    if title is not None:
        ws.append([title])
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def read(path: Path, **options):
    options.setdefault("now", NOW)
    return read_intake(path, **options)


def by_row(results):
    return {r.row: r for r in results}


# --------------------------------------------------------------------------- xlsx


def test_xlsx_with_a_title_row_dates_of_every_kind_and_excel_row_numbers(tmp_path):
    path = tmp_path / "12345工单.xlsx"
    write_xlsx(
        path,
        [
            HEADER,
            order(1, 受理时间=datetime(2026, 11, 20, 14, 3)),  # a datetime cell
            order(2, 受理时间="2026/11/20 14:03"),
            order(3, 受理时间="2026年11月20日14时03分"),
            order(4, 受理时间=46346.58541666667),  # an Excel serial number (general format)
            order(5, 受理时间="2026-11-20T06:03:00Z"),  # with a zone: the same instant
            order(6, 受理时间="2026-13-01"),
        ],
        title="2026年11月 12345 热线工单导出（龙游县）",
    )
    results, summary = read(path)
    rows = by_row(results)
    expected = datetime(2026, 11, 20, 14, 3, tzinfo=SH)
    # The title row is row 1, the header row 2: the first order is row 3, as Excel shows it.
    assert sorted(rows) == [3, 4, 5, 6, 7, 8]
    for number in (3, 4, 5, 6, 7):
        assert rows[number].ok
        assert rows[number].fields["occurred_at"] == expected
    assert rows[8].outcome is Outcome.refused
    assert rows[8].message == "第 8 行: 受理时间 '2026-13-01' 不是日期"
    assert rows[8].column == "受理时间"
    assert summary.sheet == "工单"
    assert summary.header_row == 2
    assert summary.format == "xlsx"
    assert summary.encoding is None
    assert (summary.rows_read, summary.ok, summary.refused, summary.duplicates) == (6, 5, 1, 0)
    assert summary.columns_used == {
        "external_id": "工单编号",
        "title": "诉求标题",
        "description": "诉求内容",
        "address": "诉求地址",
        "reporter.name": "来电人",
        "reporter.phone": "联系电话",
        "occurred_at": "受理时间",
        "category": "诉求分类",
        "urgency": "紧急程度",
    }
    assert summary.complete


def test_a_12345_export_becomes_eventin_fields_with_the_default_mapping(tmp_path):
    path = tmp_path / "export.xlsx"
    write_xlsx(
        path,
        [
            HEADER,
            order(1, 诉求标题="桥头垃圾", 紧急程度="紧急", 联系电话=13800000001),
            order(2, 诉求分类="城乡建设>市容市貌>暴露垃圾"),  # matched by its last segment
            order(3, 诉求分类="其他-其他", 联系电话="138****0000"),  # masked phone
            order(4, 诉求分类=None, 紧急程度="很急", 联系电话="0570-7011234/13800000002"),
        ],
    )
    results, summary = read(path)
    one, two, three, four = results
    assert one.fields == {
        "title": "桥头垃圾",
        "description": "桥头东侧有一堆生活垃圾未清运，气味很大，已经三天了。请尽快处理（1）",
        "category_code": "0102",
        "urgency": "urgent",
        "source": "hotline",
        "lon": None,
        "lat": None,
        "crs": "wgs84",
        "address": "龙洲街道某路 1 号",
        "occurred_at": datetime(2026, 11, 20, 14, 3, tzinfo=SH),
        "reporter": {"name": "张先生", "phone": "13800000001"},
        "external_id": "ZJ12345-202611-00001",
    }
    assert one.flags == ()
    # No title in the cell: the first sentence of the description, flagged.
    assert two.fields["title"] == "桥头东侧有一堆生活垃圾未清运，气味很大，已经三天了"
    assert two.fields["category_code"] == "0102"
    assert [f.code for f in two.flags] == [RowFlag.title_derived]
    assert three.fields["category_code"] == "16"
    assert three.fields["reporter"] == {"name": "张先生", "phone": None}
    assert {f.code for f in three.flags} == {
        RowFlag.title_derived,
        RowFlag.category_defaulted,
        RowFlag.phone_invalid,
    }
    assert "诉求分类 '其他-其他' 没有对应的分类，归入默认分类 16" in three.message
    assert "联系电话 '138****0000' 不是电话号码，未导入" in three.message
    assert four.fields["category_code"] == "16"
    assert four.fields["urgency"] == "normal"
    assert four.fields["reporter"]["phone"] == "0570-7011234"
    assert "诉求分类 为空，归入默认分类 16" in four.message
    assert "紧急程度 '很急' 不认识，按一般处理" in four.message
    assert {f.code for f in four.flags} >= {RowFlag.urgency_unknown, RowFlag.phone_multiple}
    assert (summary.ok, summary.flagged) == (4, 3)
    assert summary.flag_counts == {
        "title_derived": 3,
        "category_defaulted": 2,
        "phone_invalid": 1,
        "phone_multiple": 1,
        "urgency_unknown": 1,
    }
    # Ready for EventIn once the geocoder has placed them.
    for result in results:
        event = EventIn(**{**result.fields, "lon": 119.172, "lat": 29.031, "crs": "gcj02"})
        assert event.external_id == result.external_id


def test_rows_stand_alone_and_every_problem_of_a_row_is_named(tmp_path):
    path = tmp_path / "bad.xlsx"
    write_xlsx(
        path,
        [
            HEADER,
            order(1, 工单编号=None, 受理时间="昨天下午"),
            order(2, 诉求内容="  ", 诉求地址=None),
            order(3, 工单编号=1.23456789012345e17),  # an id Excel already rounded
            order(4, 受理时间="2062-11-20 14:03"),  # a typo for 2026: kept, flagged
            order(5),
        ],
    )
    results, summary = read(path)
    rows = by_row(results)
    assert rows[2].message == "第 2 行: 工单编号 为空；受理时间 '昨天下午' 不是日期"
    assert rows[3].message == "第 3 行: 诉求内容 为空；诉求地址 为空"
    assert rows[4].outcome is Outcome.refused
    assert "科学计数法" in rows[4].reason and rows[4].column == "工单编号"
    assert rows[5].ok
    assert "受理时间 '2062-11-20 14:03' 晚于现在，请核对" in rows[5].message
    assert rows[6].ok and rows[6].flags[0].code is RowFlag.title_derived
    assert (summary.ok, summary.refused) == (2, 3)


def test_duplicate_external_ids_name_the_first_row(tmp_path):
    path = tmp_path / "dup.csv"
    write_csv(
        path,
        [HEADER, order(1), order(2), order(1, 诉求内容="又来电"), order(3), order(2)],
        "utf-8",
    )
    results, summary = read(path)
    assert [r.outcome for r in results] == ["ok", "ok", "duplicate", "ok", "duplicate"]
    assert results[2].message == "第 4 行: 工单编号 'ZJ12345-202611-00001' 与第 2 行重复"
    assert results[2].duplicate_of == 2
    assert results[4].duplicate_of == 3
    assert (summary.rows_read, summary.ok, summary.duplicates) == (5, 3, 2)


def test_one_percent_bad_rows_in_ten_thousand_land_the_rest(tmp_path):
    bad = set(range(7, 10_000, 100))  # 100 orders
    rows = [HEADER]
    for n in range(10_000):
        rows.append(order(n, 受理时间="2026-02-30 09:00") if n in bad else order(n))
    path = write_xlsx(tmp_path / "big.xlsx", rows, title="工单导出")
    calls = []
    results, summary = read(path, progress=lambda done, total: calls.append((done, total)))
    refused = [r for r in results if not r.ok]
    # Order n sits on row n + 3 (title, header, then from n = 0).
    assert [r.row for r in refused] == sorted(n + 3 for n in bad)
    assert refused[0].message == "第 10 行: 受理时间 '2026-02-30 09:00' 不是日期"
    assert (summary.rows_read, summary.ok, summary.refused) == (10_000, 9_900, 100)
    assert calls[0] == (1000, 10_000)
    assert calls[-1] == (10_000, 10_000)
    assert len(calls) == 11


def test_rows_are_read_lazily(tmp_path):
    path = write_xlsx(tmp_path / "lazy.xlsx", [HEADER] + [order(n) for n in range(5000)])
    calls = []
    with open_intake(path, now=NOW, progress=lambda d, t: calls.append(d), progress_every=100) as f:
        first = next(f.rows())
        assert first.row == 2
        assert calls == []  # not a hundred rows have been read
        assert not f.summary.complete


# --------------------------------------------------------------------------- CSV and xls


@pytest.mark.parametrize(
    ("encoding", "stated"),
    [
        ("gbk", "GB18030 (detected)"),
        ("gb18030", "GB18030 (detected)"),
        ("utf-8-sig", "UTF-8 with BOM (detected)"),
        ("utf-8", "UTF-8 (detected)"),
    ],
)
def test_csv_encodings_are_detected_and_stated(tmp_path, encoding, stated):
    path = write_csv(
        tmp_path / f"orders-{encoding}.csv",
        [["热线工单导出"], HEADER, order(1), order(2, 诉求分类="城市管理-街面秩序-占道经营")],
        encoding,
    )
    results, summary = read(path)
    assert summary.encoding == stated
    assert f"编码: {stated}" in summary.render()
    assert summary.header_row == 2
    assert [r.fields["category_code"] for r in results] == ["0102", "0501"]
    assert results[0].fields["address"] == "龙洲街道某路 1 号"
    assert results[0].fields["description"].startswith("桥头东侧有一堆生活垃圾")


def test_tab_separated_utf16_text_as_excel_saves_unicode_text(tmp_path):
    path = tmp_path / "orders.txt"
    with path.open("w", encoding="utf-16", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows([HEADER, order(1)])
    results, summary = read(path)
    assert summary.encoding == "UTF-16 (detected)"
    assert results[0].ok and results[0].fields["category_code"] == "0102"


def test_a_csv_that_is_neither_utf8_nor_gb18030_names_its_line(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n" + b"1,A1,\xff\xfe\xff,x\n")
    with pytest.raises(IntakeFileError) as info:
        read(path)
    assert info.value.code == "bad_encoding"
    assert info.value.message.startswith(
        "文件 mixed.csv 第 2 行含有既不是 UTF-8 也不是 GB18030 的字节"
    )


def test_xls_through_xlrd(tmp_path):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    stamp = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    for i, row in enumerate([HEADER, order(1), order(2, 受理时间=None)]):
        for j, value in enumerate(row):
            if i == 1 and HEADER[j] == "受理时间":
                sheet.write(i, j, datetime(2026, 11, 20, 14, 3), stamp)
            elif value is not None:
                sheet.write(i, j, value)
    path = tmp_path / "old.xls"
    book.save(str(path))
    results, summary = read(path)
    assert summary.format == "xls"
    assert results[0].fields["occurred_at"] == datetime(2026, 11, 20, 14, 3, tzinfo=SH)
    assert results[1].message == "第 3 行: 受理时间 为空"


# --------------------------------------------------------------------------- a custom mapping


DEPARTMENT_TOML = """\
name = "市场监管所 巡查清单"
required = ["external_id", "description"]

[columns]
external_id = "检查编号"
description = ["问题描述"]
address = ["地点"]
occurred_at = ["发现时间"]
category = ["问题类型"]
lon = ["经度"]
lat = ["纬度"]

[category]
default = "15"
separators = "/"

[category.map]
"食品/无证经营" = "1501"
"过期" = "1502"
"""


def test_a_department_list_with_coordinates_and_its_own_mapping(tmp_path):
    mapping_path = tmp_path / "scjg.toml"
    mapping_path.write_text(DEPARTMENT_TOML, encoding="utf-8")
    mapping = load_mapping(mapping_path)
    path = tmp_path / "巡查.csv"
    write_csv(
        path,
        [
            ["检查编号", "问题描述", "地点", "经度", "纬度", "发现时间", "问题类型"],
            ["JC-1", "无证经营小吃店", "", "119.1721", "29.0312", "2026.11.20", "食品/无证经营"],
            ["JC-2", "货架有过期饮料", "某超市", "", "", "20261121093000", "食品/过期"],
            ["JC-3", "坐标填反了", "", "29.0312", "119.1721", "2026-11-20", "食品/无证经营"],
            ["JC-4", "只有经度", "", "119.1721", "", "2026-11-20", "药品"],
            ["JC-5", "没有地址也没有坐标", "", "", "", "", "药品"],
        ],
        "gb18030",
    )
    results, summary = read(path, mapping=mapping, source="department", crs="gcj02")
    one, two, three, four, five = results
    assert one.fields["lon"] == 119.1721 and one.fields["lat"] == 29.0312
    assert one.fields["crs"] == "gcj02" and one.fields["source"] == "department"
    assert one.fields["address"] is None
    assert one.fields["occurred_at"] == datetime(2026, 11, 20, tzinfo=SH)
    assert EventIn(**one.fields).category_code == "1501"
    assert two.fields["category_code"] == "1502"
    assert two.fields["lon"] is None and two.fields["address"] == "某超市"
    assert two.fields["occurred_at"] == datetime(2026, 11, 21, 9, 30, tzinfo=SH)
    assert three.message == (
        "第 4 行: 坐标 (29.0312, 119.172) 不可用: lat must be in [-90, 90], got 119.172; "
        "are lon and lat swapped?"
    )
    assert four.message == "第 5 行: 经度 有值但 纬度 为空"
    assert five.message == "第 6 行: 地点 为空，也没有坐标（经度/纬度），无法定位"
    assert summary.mapping == "市场监管所 巡查清单"
    assert (summary.ok, summary.refused) == (2, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[columns]\nexternal_id = ["编号"]\nreporter.nmae = ["姓名"]\n'
            '[category]\ndefault = "16"\n',
            "映射文件 m.toml: [columns] 中有未知字段 'reporter.nmae'；可用字段: external_id, "
            "title, description, address, reporter.name, reporter.phone, occurred_at, category, "
            "urgency, lon, lat / mapping m.toml: unknown field 'reporter.nmae' in [columns]; "
            "known fields: "
            "external_id, title, description, address, reporter.name, reporter.phone, occurred_at, "
            "category, urgency, lon, lat",
        ),
        (
            '[columns]\ndescription = ["内容"]\n[category.map]\n"垃圾" = "0102"\n',
            "映射文件 m.toml: [category] 没有 default：对应不上的分类需要一个默认分类，"
            '如 default = "16" / mapping m.toml: [category] has no default: categories that '
            'match nothing need one, e.g. default = "16"',
        ),
        (
            '[columns]\ndescription = ["内容"]\n[category]\ndefault = "16"\n'
            '[category.map]\n"垃圾" = 102\n',
            "映射文件 m.toml: [category.map] '垃圾' 必须是加引号的分类代码，"
            "如 \"0102\"；现在是 102 / mapping m.toml: [category.map] '垃圾' must be a category "
            'code in quotes, e.g. "0102"; got 102',
        ),
        (
            'required = ["address"]\n[columns]\ndescription = "内容"\n[category]\ndefault = "16"\n',
            "映射文件 m.toml: required 中的 'address' 不在 [columns] 中 / mapping m.toml: required "
            "names 'address', which [columns] does not map",
        ),
    ],
)
def test_a_wrong_mapping_is_refused_with_an_exact_message(tmp_path, text, message):
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert info.value.message == message


def test_mapping_codes_can_be_checked_against_the_catalog(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[columns]\ndescription = "内容"\n[category]\ndefault = "9999"\n', "utf-8")
    with pytest.raises(MappingError, match="'9999' 不在分类目录中"):
        load_mapping(path, known_codes={"0102", "16"})


def test_the_default_mapping_names_only_codes_of_the_default_catalog():
    with (REPO / "api/categories/default_catalog.csv").open(encoding="utf-8") as handle:
        codes = {
            row["code"]
            for row in csv.DictReader(line for line in handle if not line.startswith("#"))
        }
    mapping = load_mapping(DEFAULT_MAPPING, known_codes=codes)  # raises if one is missing
    assert mapping.category_for("城市管理-市容环境-暴露垃圾") == "0102"
    assert mapping.category_for("某系统>街面秩序>占道经营") == "0501"
    assert mapping.category_for("咨询-不知道") is None


# --------------------------------------------------------------------------- unreadable files


def test_a_pdf_renamed_xlsx_is_refused(tmp_path):
    path = tmp_path / "工单.xlsx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    with pytest.raises(IntakeFileError) as info:
        read(path)
    assert info.value.code == "wrong_type"
    assert info.value.message == (
        "文件 工单.xlsx 不是表格，而是 PDF 文档；请从业务系统导出 .xlsx、.xls 或 .csv 后再导入 / "
        "工单.xlsx is a PDF document, not a spreadsheet; export the list as .xlsx, .xls or .csv "
        "and import that"
    )


def test_an_html_page_saved_as_xls_is_refused_with_advice(tmp_path):
    path = tmp_path / "导出.xls"
    path.write_text("<html><body><table><tr><td>工单编号</td></tr></table></body></html>")
    with pytest.raises(IntakeFileError, match="另存为 .xlsx") as info:
        read(path)
    assert "导出.xls is a web page (HTML)" in info.value.message


def test_a_truncated_xlsx_is_refused(tmp_path):
    whole = write_xlsx(tmp_path / "whole.xlsx", [HEADER] + [order(n) for n in range(200)])
    data = whole.read_bytes()
    path = tmp_path / "半截.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IntakeFileError) as info:
        read(path)
    assert info.value.code == "damaged_file"
    assert info.value.message.startswith("文件 半截.xlsx 已损坏：xlsx 的 zip 结构不完整")
    assert "半截.xlsx is damaged" in info.value.message


def test_a_word_document_renamed_xlsx_is_refused(tmp_path):
    path = tmp_path / "说明.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(IntakeFileError, match="是 zip 压缩包（Word 文档），不是 Excel 工作簿"):
        read(path)


def test_no_header_row_says_what_the_file_has(tmp_path):
    path = write_xlsx(
        tmp_path / "other.xlsx", [["姓名", "年龄"], ["张三", 30]], title="人员名单", sheet="名单"
    )
    with pytest.raises(IntakeFileError) as info:
        read(path)
    assert info.value.code == "no_header"
    assert info.value.message.startswith(
        "文件 other.xlsx 的工作表 '名单' 的前 3 行里找不到表头：没有一行含有映射（12345 热线工单）"
        "中的列名，如 工单编号、诉求标题、诉求内容；第 1 行是: 人员名单 / "
    )


def test_a_missing_mapped_column_names_the_columns_the_file_has(tmp_path):
    header = [c for c in HEADER if c != "受理时间"]
    path = write_csv(tmp_path / "no-time.csv", [header, order(1)[:-1]], "utf-8")
    with pytest.raises(IntakeFileError) as info:
        read(path)
    assert info.value.code == "missing_columns"
    assert info.value.message == (
        "文件 no-time.csv 缺少必需的列: occurred_at（受理时间 或 来电时间 或 登记时间）；"
        "文件的列（第 1 行）: 序号, 工单编号, 诉求标题, 诉求内容, 诉求地址, 来电人, 联系电话, "
        "诉求分类, 紧急程度, 办理状态 / no-time.csv lacks required columns: occurred_at (one of "
        "受理时间, 来电时间, 登记时间); the file's columns (row 1): 序号, 工单编号, 诉求标题, "
        "诉求内容, 诉求地址, 来电人, 联系电话, 诉求分类, 紧急程度, 办理状态"
    )
    assert info.value.columns[0] == "序号"


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"", "empty_file", "文件 empty.csv 是空的（0 字节） / empty.csv is empty (0 bytes)"),
        (b"\r\n\r\n  \r\n", "empty_file", "文件 empty.csv 没有内容 / empty.csv has no rows"),
        (
            ",".join(HEADER).encode() + b"\r\n,,,\r\n",
            "no_data",
            "文件 empty.csv 只有表头（第 1 行），没有数据行 / empty.csv has a header (row 1) but "
            "no data rows",
        ),
    ],
)
def test_empty_files_are_refused(tmp_path, content, code, message):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(IntakeFileError) as info:
        read(path)
    assert (info.value.code, info.value.message) == (code, message)


def test_a_named_sheet_and_a_missing_one(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本文件由 12345 平台导出"])
    data = book.create_sheet("工单")
    for row in (HEADER, order(1)):
        data.append(row)
    path = tmp_path / "two.xlsx"
    book.save(path)
    results, summary = read(path)  # the first sheet with a header
    assert summary.sheet == "工单" and results[0].row == 2
    with pytest.raises(
        IntakeFileError, match="文件 two.xlsx 中没有工作表 '统计'；工作表有: '说明'、'工单'"
    ):
        read(path, sheet="统计")


# --------------------------------------------------------------------------- the report


def test_the_row_report_opens_in_excel_in_chinese(tmp_path):
    path = write_csv(
        tmp_path / "r.csv",
        [HEADER, order(1), order(2, 受理时间="2026-13-01"), order(1), order(3, 工单编号="=1+1")],
        "utf-8",
    )
    results, _ = read(path)
    out = tmp_path / "report.csv"
    assert write_row_report(results, out) == 4
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines == [
        ["row", "external_id", "outcome", "reason", "flags"],
        ["2", "ZJ12345-202611-00001", "ok", "标题取自 诉求内容 的开头", "title_derived"],
        ["3", "ZJ12345-202611-00002", "refused", "受理时间 '2026-13-01' 不是日期", ""],
        [
            "4",
            "ZJ12345-202611-00001",
            "duplicate",
            "工单编号 'ZJ12345-202611-00001' 与第 2 行重复",
            "",
        ],
        ["5", "'=1+1", "ok", "标题取自 诉求内容 的开头", "title_derived"],
    ]


def test_the_summary_renders_what_was_read(tmp_path):
    path = write_csv(tmp_path / "s.csv", [HEADER, order(1), order(2, 受理时间="x")], "gbk")
    _, summary = read(path)
    assert summary.render() == (
        "文件: s.csv（csv，表头在第 1 行，映射: 12345 热线工单）\n"
        "编码: GB18030 (detected)\n"
        "列: external_id ← 工单编号，title ← 诉求标题，description ← 诉求内容，address ← 诉求地址，"
        "reporter.name ← 来电人，reporter.phone ← 联系电话，occurred_at ← 受理时间，"
        "category ← 诉求分类，urgency ← 紧急程度\n"
        "行: 读取 2，可导入 1（其中有标记 1），拒绝 1，文件内重复 0\n"
        "标记: title_derived 1"
    )


def test_times_with_another_zone_are_the_same_instant_in_shanghai(tmp_path):
    path = write_csv(
        tmp_path / "z.csv", [HEADER, order(1, 受理时间="2026-11-20 06:03:00+00:00")], "utf-8"
    )
    results, _ = read(path)
    stamp = results[0].fields["occurred_at"]
    assert stamp == datetime(2026, 11, 20, 6, 3, tzinfo=UTC)
    assert stamp.utcoffset() == timedelta(hours=8)


def test_the_module_imports_neither_fastapi_nor_a_database_driver():
    code = (
        "import sys, api.intake.files; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'fastapi', 'starlette', 'psycopg2', 'uvicorn'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_header_row_can_be_named(tmp_path):
    # Two rows name mapped columns; the caller says the second is the header.
    path = write_csv(
        tmp_path / "h.csv", [["工单编号", "诉求内容", "说明"], HEADER, order(1)], "utf-8"
    )
    results, summary = read(path, header_row=2)
    assert summary.header_row == 2
    assert results[0].row == 3 and results[0].ok
    with pytest.raises(IntakeFileError, match="缺少必需的列"):
        read(path)  # row 1 is taken as the header, and it lacks 诉求地址 and 受理时间


def test_an_unclosed_quote_that_swallows_rows_is_named(tmp_path):
    path = tmp_path / "quote.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, order(1)])
        handle.write('3,ZJ-3,,"垃圾没人管,某路,张,138,2026-11-20 14:03,x,一般,待办理\n')
        csv.writer(handle).writerows([order(4), order(5)])
    results, summary = read(path)
    assert [r.row for r in results] == [2, 3]
    assert results[1].message == (
        "第 3 行: 这一行从文件第 3 行跨到第 5 行，却只有 4 列（映射的列到第 10 列）：可能有未闭合的"
        "引号，把后面的行并进了这一行；请检查引号后重新导出"
    )
    assert (summary.ok, summary.refused) == (1, 1)


def test_a_description_with_line_breaks_is_one_row(tmp_path):
    path = write_csv(
        tmp_path / "lines.csv", [HEADER, order(1, 诉求内容="第一行\n第二行"), order(2)], "utf-8"
    )
    results, _ = read(path)
    assert [r.row for r in results] == [2, 3]
    assert results[0].fields["description"] == "第一行\n第二行"
    assert results[0].fields["title"] == "第一行 第二行"


def test_a_sheet_damaged_part_way_stops_with_the_last_good_row(tmp_path):
    book = openpyxl.Workbook()  # the normal writer records the sheet's dimension
    sheet = book.active
    for row in [HEADER] + [order(n) for n in range(1, 3001)]:
        sheet.append(row)
    whole = tmp_path / "whole.xlsx"
    book.save(whole)
    path = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<row r="2001"', b'<row r="2001" <<', 1)
            target.writestr(item, data)
    seen = []
    with open_intake(path, now=NOW) as intake, pytest.raises(IntakeFileError) as info:
        for result in intake.rows():
            seen.append(result.row)
    assert seen[-1] == 2000 and len(seen) == 1999
    assert info.value.code == "damaged_file"
    assert info.value.message.startswith("文件 坏.xlsx 读到第 2000 行后出错（ParseError")
