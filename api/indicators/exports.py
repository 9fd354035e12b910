"""Indicator tables as plain tables for the renderers of map_ui (CSV, Excel)."""

from __future__ import annotations

from api import clock
from api.indicators.definitions import INDICATORS
from api.indicators.service import GROUP_NAMES, IndicatorTable
from map_ui.workbooks import Column, SheetTable, WorkbookData, render_csv, render_xlsx


def _scope_words(table: IndicatorTable) -> str:
    parts = [f"{k}={v}" for k, v in vars(table.scope).items() if v not in (None, "", "all")]
    return "，".join(parts) or "全部"


def sheet_of(table: IndicatorTable, title: str | None = None) -> SheetTable:
    """The table as rows: code, name, then each indicator's value."""
    columns = (
        Column("code", "编码", width=18),
        Column("name", GROUP_NAMES[table.by], width=20),
        *(Column(i.key, i.name, i.unit, width=11) for i in INDICATORS),
    )

    def row(group) -> tuple:
        return (group.code, group.name, *(group.figures[i.key].value for i in INDICATORS))

    as_of = clock.local(table.as_of)
    return SheetTable(
        name="指标",
        title=title or f"考核指标（{table.period.label}，按{GROUP_NAMES[table.by]}）",
        subtitle=f"统计期 {table.period.label}，截至 {as_of:%Y-%m-%d %H:%M}；"
        f"范围：{_scope_words(table)}",
        columns=columns,
        rows=tuple(row(g) for g in table.groups),
        total=row(table.total),
        chart=("close_rate", "结案率") if table.groups else None,
    )


def indicators_csv(table: IndicatorTable) -> str:
    return render_csv(sheet_of(table))


def indicators_xlsx(table: IndicatorTable) -> bytes:
    return render_xlsx(WorkbookData(sheets=(sheet_of(table),)))
