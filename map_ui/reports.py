"""Printable reports and review pages (zh-CN) from plain data: HTML that prints well, and PDF.

The same `ReportPage` renders as a page of the app (its stylesheet and, for the reviewer's form,
one script, both static files: no inline script, so the pages work under a Content-Security-
Policy without 'unsafe-inline') and as a PDF through WeasyPrint, with the images embedded and
the CJK font (Noto Sans CJK, fonts-noto-cjk) embedded in the file.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from html import escape

from map_ui.vendor import STATIC_DIR

REPORT_CSS = STATIC_DIR / "css" / "report.css"


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Image:
    title: str
    png: bytes
    url: str | None = None  # the page loads it from here; the PDF embeds `png`
    alt: str = ""


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    classes: tuple[str, ...] = ()  # a CSS class per row ("" for none): red/black lists


@dataclass(frozen=True)
class Section:
    title: str
    facts: tuple[tuple[str, str], ...] = ()  # label → value, shown as a grid of tiles
    paragraphs: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Note:
    conclusions: str
    lessons: str
    by: str
    at: str


@dataclass(frozen=True)
class NoteForm:
    action: str  # where the page's script POSTs the note (JSON)
    kind: str
    subject: str


@dataclass(frozen=True)
class Select:
    name: str
    label: str
    options: tuple[tuple[str, str], ...]  # (value, label)
    selected: str = ""


@dataclass(frozen=True)
class Controls:
    """A GET form that reloads the page with other choices (it needs no script)."""

    action: str
    selects: tuple[Select, ...]
    texts: tuple[tuple[str, str, str], ...] = ()  # (name, label, value)


@dataclass(frozen=True)
class ReportPage:
    title: str
    subtitle: str = ""
    sections: tuple[Section, ...] = ()
    notes: tuple[Note, ...] = ()  # the reviewer's conclusions, newest first
    form: NoteForm | None = None
    links: tuple[Link, ...] = ()  # shown on the page, not in print
    controls: Controls | None = None
    static_prefix: str = "/static"
    meta: dict = field(default_factory=dict)


def _cell(value) -> str:
    if isinstance(value, Link):
        return f'<a href="{escape(value.href)}">{escape(value.text)}</a>'
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return escape(str(value))


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = []
    for i, row in enumerate(table.rows):
        css = table.classes[i] if i < len(table.classes) and table.classes[i] else ""
        cells = "".join(f"<td>{_cell(v)}</td>" for v in row)
        body.append(f'<tr class="{escape(css)}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    caption = f"<caption>{escape(table.title)}</caption>" if table.title else ""
    empty = "" if table.rows else f'<tr><td colspan="{len(table.columns)}">无</td></tr>'
    return (
        f'<table class="sx-report-table">{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}{empty}</tbody></table>"
    )


def _image(image: Image, embed: bool) -> str:
    src = (
        f"data:image/png;base64,{base64.b64encode(image.png).decode()}"
        if embed or not image.url
        else image.url
    )
    return (
        f'<figure class="sx-report-figure"><img src="{escape(src)}" '
        f'alt="{escape(image.alt or image.title)}"><figcaption>{escape(image.title)}'
        "</figcaption></figure>"
    )


def _section(section: Section, embed: bool) -> str:
    parts = [f"<section><h2>{escape(section.title)}</h2>"]
    if section.facts:
        tiles = "".join(
            f'<div class="sx-fact"><b>{escape(v)}</b><span>{escape(k)}</span></div>'
            for k, v in section.facts
        )
        parts.append(f'<div class="sx-facts">{tiles}</div>')
    parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    parts += [_image(i, embed) for i in section.images]
    parts += [_table(t) for t in section.tables]
    parts.append("</section>")
    return "".join(parts)


def _notes(page: ReportPage) -> str:
    if not page.notes and not page.form:
        return ""
    items = "".join(
        f'<article class="sx-note"><h3>{escape(n.by)} · {escape(n.at)}</h3>'
        f"<h4>复盘结论</h4><p>{escape(n.conclusions)}</p>"
        f"<h4>经验教训</h4><p>{escape(n.lessons)}</p></article>"
        for n in page.notes
    )
    form = ""
    if page.form:
        form = f"""
<form id="sx-note-form" class="sx-no-print" data-action="{escape(page.form.action)}"
      data-kind="{escape(page.form.kind)}" data-subject="{escape(page.form.subject)}">
  <label>复盘结论<textarea name="conclusions" rows="4" required maxlength="4000"></textarea></label>
  <label>经验教训<textarea name="lessons" rows="4" required maxlength="4000"></textarea></label>
  <button type="submit">保存复盘意见</button> <span id="sx-note-status" role="status"></span>
</form>"""
    return f"<section><h2>复盘意见</h2>{items or '<p>尚无复盘意见。</p>'}{form}</section>"


def _controls(controls: Controls | None) -> str:
    if controls is None:
        return ""
    action = escape(controls.action)
    parts = [f'<form class="sx-assess-controls sx-no-print" method="get" action="{action}">']
    for name, label, value in controls.texts:
        parts.append(
            f'<label>{escape(label)} <input name="{escape(name)}" value="{escape(value)}" '
            'size="12"></label>'
        )
    for select in controls.selects:
        options = "".join(
            f'<option value="{escape(v)}"{" selected" if v == select.selected else ""}>'
            f"{escape(text)}</option>"
            for v, text in select.options
        )
        parts.append(
            f'<label>{escape(select.label)} <select name="{escape(select.name)}">{options}'
            "</select></label>"
        )
    parts.append('<button type="submit">查看</button></form>')
    return "".join(parts)


def render_html(page: ReportPage, *, embed_images: bool = False) -> str:
    """The report as a page of the app (or, `embed_images`, self-contained for the PDF)."""
    links = "".join(f'<a href="{escape(link.href)}">{escape(link.text)}</a>' for link in page.links)
    nav = f'<nav class="sx-report-nav sx-no-print">{links}</nav>' if links else ""
    script = f'<script src="{page.static_prefix}/js/review.js" defer></script>' if page.form else ""
    body = "".join(_section(s, embed_images) for s in page.sections)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(page.title)} · 舒心</title>
<link rel="stylesheet" href="{page.static_prefix}/css/report.css">
<link rel="icon" href="{page.static_prefix}/favicon.svg">
{script}
</head>
<body class="sx-report">
{nav}
<header><h1>{escape(page.title)}</h1><p class="sx-report-sub">{escape(page.subtitle)}</p></header>
{_controls(page.controls)}
<main>{body}{_notes(page)}</main>
</body>
</html>
"""


def render_pdf(page: ReportPage) -> bytes:
    """The report as PDF (A4), images and fonts embedded."""
    from weasyprint import CSS, HTML

    html = render_html(page, embed_images=True)
    return HTML(string=html, base_url=str(STATIC_DIR)).write_pdf(
        stylesheets=[CSS(filename=str(REPORT_CSS))]
    )
