"""Excel workbooks and CSV from plain tables, formatted for print (openpyxl).

Each sheet: a merged title row, a subtitle (period, as-of time, scope), Chinese headers with
their units under them, frozen panes below the headers and right of the names, number formats
per column, borders, landscape A4 fitted to the page width with the header rows repeated; a
chart sheet of one column when asked.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

FORMATS = {"%": '0.00"%"', "小时": "0.00", "件": "#,##0", "件/人": "0.00", "分": "0.00", "": "@"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # 中文表头
    unit: str = ""  # 件, %, 小时 ... (shown under the header, and picks the number format)
    width: float = 12


@dataclass(frozen=True)
class SheetTable:
    name: str  # the sheet's tab (≤ 31 characters)
    title: str
    subtitle: str
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]
    total: tuple | None = None
    freeze_columns: int = 2  # code and name stay in view
    chart: tuple[str, str] | None = None  # (column key, chart title): a chart sheet of it


@dataclass(frozen=True)
class WorkbookData:
    sheets: tuple[SheetTable, ...]
    properties: dict = field(default_factory=dict)


_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
_FONT = "等线"  # Excel's default CJK font on Chinese Windows; others fall back


def render_xlsx(data: WorkbookData) -> bytes:
    """The workbook as .xlsx bytes."""
    book = Workbook()
    book.remove(book.active)
    for table in data.sheets:
        sheet = book.create_sheet(table.name[:31])
        _fill(sheet, table)
        if table.chart:
            _chart_sheet(book, sheet, table)
    for key, value in data.properties.items():
        setattr(book.properties, key, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet, table: SheetTable) -> None:
    width = len(table.columns)
    last = get_column_letter(width)
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"] = table.title
    sheet["A1"].font = Font(name=_FONT, size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    sheet.merge_cells(f"A2:{last}2")
    sheet["A2"] = table.subtitle
    sheet["A2"].font = Font(name=_FONT, size=10, color="555555")
    sheet["A2"].alignment = Alignment(horizontal="center")
    for i, column in enumerate(table.columns, start=1):
        head = sheet.cell(row=3, column=i, value=column.header)
        unit = sheet.cell(row=4, column=i, value=f"（{column.unit}）" if column.unit else "")
        for cell in (head, unit):
            cell.font = Font(name=_FONT, bold=cell is head, size=10)
            cell.fill = _HEAD_FILL
            cell.border = _BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.row_dimensions[3].height = 32
    rows = list(table.rows) + ([table.total] if table.total is not None else [])
    for r, values in enumerate(rows, start=5):
        is_total = table.total is not None and r == 5 + len(table.rows)
        for i, (column, value) in enumerate(zip(table.columns, values, strict=True), start=1):
            cell = sheet.cell(row=r, column=i, value=value)
            cell.border = _BORDER
            cell.font = Font(name=_FONT, size=10, bold=is_total)
            if isinstance(value, int | float):
                cell.number_format = FORMATS.get(column.unit, "0.00")
                cell.alignment = Alignment(horizontal="right")
    sheet.freeze_panes = sheet.cell(row=5, column=table.freeze_columns + 1)
    sheet.print_title_rows = "3:4"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


def _chart_sheet(book: Workbook, sheet, table: SheetTable) -> None:
    key, title = table.chart or ("", "")
    index = next(i for i, c in enumerate(table.columns, start=1) if c.key == key)
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.y_axis.title = table.columns[index - 1].unit or None
    chart.legend = None
    first, last = 5, 4 + len(table.rows)
    chart.add_data(Reference(sheet, min_col=index, min_row=first, max_row=last))
    name_column = min(2, len(table.columns))
    chart.set_categories(Reference(sheet, min_col=name_column, min_row=first, max_row=last))
    chart_sheet = book.create_chartsheet(f"{table.name[:27]}图表")
    chart_sheet.add_chart(chart)


def render_csv(table: SheetTable) -> str:
    """The table as CSV with a byte-order mark, so Excel opens the Chinese headers right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [c.key for c in table.columns[:2]]
        + [f"{c.header}（{c.unit}）" if c.unit else c.header for c in table.columns[2:]]
    )
    for row in [*table.rows, *([table.total] if table.total is not None else [])]:
        writer.writerow(["" if v is None else v for v in row])
    return "\ufeff" + out.getvalue()
