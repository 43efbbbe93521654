"""Print route sheets: one PDF page per vehicle (``sheets.pdf``) and the same as HTML.

A vehicle driving several trips has them on its one page in order, a shaded line between two
trips saying when it is back, how long loading the next trip takes and when it leaves.

The PDF embeds a subset of a CJK TrueType font so Chinese village names print as text (and can
be searched and copied), not as boxes; :func:`find_cjk_font` says where the font comes from.
The HTML (``sheets.html``) is one self-contained file with print CSS: one sheet per printed
page, maps inlined as PNG, every name escaped by Jinja2's autoescaping.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from jinja2 import Environment

from geodata import figure_bytes, route_sheet_map
from routing.core import RuralRouteError
from routing.reports.sheets import RouteSheet, SheetBook, sheet_facts, stop_rows

#: Environment variable naming a TrueType font file (.ttf or .ttc) with Chinese glyphs.
CJK_FONT_ENV = "RURALROUTE_CJK_FONT"

#: Where CJK TrueType fonts usually are: Debian/Ubuntu packages first, then Windows and macOS.
CJK_FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("C:/Windows/Fonts/msyh.ttc"),
    Path("C:/Windows/Fonts/simhei.ttf"),
    Path("/Library/Fonts/Arial Unicode.ttf"),
)

#: Font stack of the HTML sheets: the same families a reader's system most likely has.
HTML_FONTS = ('"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", '
              '"Source Han Sans SC", sans-serif')

_FONT = "cjk"


@dataclass(frozen=True)
class _Page:
    """Page geometry in mm for one orientation."""

    width: float
    height: float
    margin: float = 10.0

    @property
    def landscape(self) -> bool:
        return self.width > self.height


_PORTRAIT = _Page(210.0, 297.0)
_LANDSCAPE = _Page(297.0, 210.0)


def find_cjk_font() -> Path:
    """Return a TrueType font file that has Chinese glyphs, for embedding into the PDF.

    ``$RURALROUTE_CJK_FONT`` wins when set; otherwise the first of
    :data:`CJK_FONT_CANDIDATES` that exists (``apt-get install fonts-wqy-microhei`` provides
    the first).

    Raises
    ------
    RuralRouteError
        No such font is installed, or the environment variable names a missing file.
    """
    named = os.environ.get(CJK_FONT_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise RuralRouteError(f"{CJK_FONT_ENV}={named}: no such font file; point it at a "
                                  f".ttf/.ttc font with Chinese glyphs")
        return path
    for path in CJK_FONT_CANDIDATES:
        if path.is_file():
            return path
    raise RuralRouteError(
        "no Chinese (CJK) TrueType font found for the route sheets PDF: install one "
        "(Debian/Ubuntu: apt-get install fonts-wqy-microhei) or set "
        f"{CJK_FONT_ENV} to a .ttf/.ttc file")


@dataclass(frozen=True)
class _Column:
    key: str
    label: str
    width: float
    align: str = "R"


def _columns(sheet: RouteSheet, page: _Page, width: float) -> list[_Column]:
    """Table columns for ``sheet`` in ``width`` mm; the village column takes what is left."""
    narrow = page.landscape
    carriers = [_Column(f"carrier:{c}", c.upper(), 9.0 if narrow else 10.5)
                for c in sheet.carriers]
    # a relay trunk or a feeder unloads whole loads: their weight matters to the loader
    weight = ([_Column("weight_kg", "重 Parcel kg", 13.0 if narrow else 16.0)]
              if sheet.loads else [])
    fixed = [
        _Column("parcels", "件 Parcels", 13.0 if narrow else 15.0),
        *weight,
        _Column("produce_kg", "收 Produce kg", 14.0 if narrow else 19.0),
        _Column("arrival", "到 Arrive", 12.0 if narrow else 14.0),
        _Column("km", "km", 10.0 if narrow else 12.0),
        _Column("tick", "✓", 8.0, "C"),
    ]
    number = _Column("no", "#", 7.0, "C")
    used = number.width + sum(c.width for c in (*carriers, *fixed))
    village = _Column("name", "站 Station" if sheet.loads else "村 Village",
                      max(width - used, 30.0), "L")
    return [number, village, *carriers, *fixed]


class _SheetPDF(FPDF):
    """FPDF with the CJK font registered and a footer crediting OSM and numbering pages."""

    def __init__(self, font: Path, page: _Page) -> None:
        super().__init__(orientation="L" if page.landscape else "P", unit="mm", format="A4")
        self.add_font(_FONT, "", str(font))
        self.set_margins(page.margin, page.margin, page.margin)
        self.set_auto_page_break(True, margin=page.margin + 4)
        self.set_creator("ruralroute")
        self.footer_text = ""

    def footer(self) -> None:
        self.set_y(-self.b_margin + 1)
        self.set_font(_FONT, size=7)
        self.set_text_color(110)
        self.cell(0, 4, self.footer_text, align="L")
        self.cell(0, 4, f"{self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)


def _fit(pdf: FPDF, text: str, width: float, size: float, *, smallest: float = 5.0) -> float:
    """The largest font size <= ``size`` (down to ``smallest``) at which ``text`` fits."""
    pdf.set_font(_FONT, size=size)
    while size > smallest and pdf.get_string_width(text) > width:
        size -= 0.5
        pdf.set_font(_FONT, size=size)
    return size


def _clip(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to ``width`` at the current font size."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _header(pdf: _SheetPDF, sheet: RouteSheet, page: _Page) -> None:
    width = page.width - 2 * page.margin
    facts = [f"{label}: {value}" for label, value in sheet_facts(sheet)]
    first = "   ".join(facts[:3])
    pdf.set_font(_FONT, size=8)
    # vehicle, strategy and date share a line unless a long leg name would shrink it
    head = [first] if pdf.get_string_width(first) <= width - 6 else [
        f"{facts[0]}   {facts[2]}", facts[1]]
    lines = [*head, *facts[3:]]
    pdf.set_fill_color(sheet.colour)
    pdf.rect(page.margin, page.margin, 4, 6 + 4.5 * len(lines), style="F")
    pdf.set_xy(page.margin + 6, page.margin)
    pdf.set_font(_FONT, size=_fit(pdf, sheet.title, width - 6, 13))
    pdf.cell(width - 6, 6, _clip(pdf, sheet.title, width - 6), new_x=XPos.LMARGIN,
             new_y=YPos.NEXT)
    for k, line in enumerate(lines):
        pdf.set_x(page.margin + 6)
        totals = k == len(head) + 1
        pdf.set_font(_FONT, size=_fit(pdf, line, width - 6, 10 if totals else 9))
        pdf.cell(width - 6, 4.5, _clip(pdf, line, width - 6), new_x=XPos.LMARGIN,
                 new_y=YPos.NEXT)
    pdf.ln(2)


def _table(pdf: _SheetPDF, sheet: RouteSheet, page: _Page, x: float, width: float) -> None:
    columns = _columns(sheet, page, width)
    rows = stop_rows(sheet)
    space = page.height - page.margin - 5 - pdf.get_y()
    row_h = min(7.0, max(4.5, space / (len(rows) + 1.5)))
    size = min(9.0, row_h * 1.45)
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(235)
    pdf.set_x(x)
    for col in columns:
        pdf.set_font(_FONT, size=_fit(pdf, col.label, col.width - 1.5, size - 0.5, smallest=4))
        pdf.cell(col.width, row_h, col.label, border=1, align="C", fill=True)
    pdf.ln(row_h)
    for n, row in enumerate(rows):
        last = row["kind"] == "back"
        if pdf.will_page_break(row_h):
            pdf.add_page()
        pdf.set_x(x)
        if row["kind"] == "reload":
            _reload_row(pdf, row["name"], sum(c.width for c in columns), row_h, size)
            continue
        shade = n % 2 == 1 or last
        pdf.set_fill_color(228 if last else 246)
        for col in columns:
            top, left = pdf.get_y(), pdf.get_x()
            if col.key == "name":
                pdf.cell(col.width, row_h, "", border=1, fill=shade)
                _village(pdf, row["name"], row["name_en"], left, top, col.width, row_h, size)
                pdf.set_xy(left + col.width, top)
            elif col.key == "tick":
                pdf.cell(col.width, row_h, "", border=1, fill=shade)
                box = min(3.6, row_h - 1.5)
                pdf.rect(left + (col.width - box) / 2, top + (row_h - box) / 2, box, box)
            else:
                text = row.get(col.key, "")
                pdf.set_font(_FONT, size=_fit(pdf, text, col.width - 1.5, size))
                pdf.cell(col.width, row_h, text, border=1, align=col.align, fill=shade)
        pdf.ln(row_h)


def _reload_row(pdf: FPDF, text: str, width: float, height: float, size: float) -> None:
    """The line between two trips, across the whole table, shaded."""
    pdf.set_fill_color(222, 232, 245)
    pdf.set_font(_FONT, size=_fit(pdf, text, width - 3, size, smallest=4))
    pdf.cell(width, height, " " + _clip(pdf, text, width - 3), border=1, align="L", fill=True)
    pdf.ln(height)


def _village(pdf: FPDF, name: str, name_en: str, x: float, y: float, width: float,
             height: float, size: float) -> None:
    """Write the village's OSM name and, smaller and grey, its romanised name in one cell."""
    room = width - 2
    name_size = _fit(pdf, name, room * (0.6 if name_en else 1.0), size, smallest=size - 2.5)
    shown = _clip(pdf, name, room)
    pdf.set_xy(x + 1, y)
    pdf.cell(pdf.get_string_width(shown), height, shown)
    rest = room - pdf.get_string_width(shown) - 1.5
    if name_en and rest > 4:
        pdf.set_text_color(90)
        pdf.set_font(_FONT, size=min(name_size, size - 1))
        pdf.cell(rest + 1.5, height, " " + _clip(pdf, name_en, rest))
        pdf.set_text_color(0)


def _map_size(sheet: RouteSheet, page: _Page) -> tuple[float, float]:
    """Printed map size in mm: full width above the list, or left of it in landscape."""
    inner = page.width - 2 * page.margin
    if page.landscape:
        return inner * 0.47, 160.0
    return inner, 105.0 if len(sheet.stops) <= 20 else 85.0


def sheet_map_png(book: SheetBook, sheet: RouteSheet, *, landscape: bool = False) -> bytes:
    """The static map of ``sheet`` as PNG, sized for its place on an A4 page."""
    width_mm, height_mm = _map_size(sheet, _LANDSCAPE if landscape else _PORTRAIT)
    fig = route_sheet_map(sheet.geometry, [(s.lon, s.lat) for s in sheet.stops],
                          (sheet.depot.lon, sheet.depot.lat), colour=sheet.colour,
                          boundary=book.boundary, roads=book.roads, width_mm=width_mm,
                          height_mm=height_mm)
    return figure_bytes(fig, fmt="png", dpi=200)


def _maps(book: SheetBook, landscape: bool, maps: Mapping[str, bytes] | None) -> dict[str, bytes]:
    given = maps or {}
    return {s.vehicle: given.get(s.vehicle) or sheet_map_png(book, s, landscape=landscape)
            for s in book.sheets}


def write_sheets_pdf(book: SheetBook, path: str | Path, *, landscape: bool = False,
                     font: Path | None = None, maps: Mapping[str, bytes] | None = None) -> Path:
    """Write one page per route sheet (per vehicle) to ``path`` (A4 portrait, or landscape) and
    return it.

    Portrait pages put the map above the stop list; landscape pages put them side by side.
    A vehicle with more stops than fit continues on a following page. ``maps`` holds PNG maps
    by vehicle already drawn with :func:`sheet_map_png`; missing ones are drawn here.

    Raises
    ------
    RuralRouteError
        No CJK font is available (see :func:`find_cjk_font`).
    """
    if not book.sheets:
        raise RuralRouteError("the plan has no routes, so there are no route sheets to print")
    page = _LANDSCAPE if landscape else _PORTRAIT
    pdf = _SheetPDF(font or find_cjk_font(), page)
    pdf.alias_nb_pages()
    pdf.footer_text = ("ruralroute route sheet · roads and villages © OpenStreetMap "
                       "contributors, ODbL")
    pdf.set_title(book.sheets[0].title)
    pngs = _maps(book, landscape, maps)
    for sheet in book.sheets:
        pdf.add_page()
        _header(pdf, sheet, page)
        top = pdf.get_y()
        map_w, map_h = _map_size(sheet, page)
        pdf.image(io.BytesIO(pngs[sheet.vehicle]), x=page.margin, y=top, w=map_w, h=map_h)
        if page.landscape:
            pdf.set_xy(page.margin + map_w + 4, top)
            _table(pdf, sheet, page, page.margin + map_w + 4, page.width - 2 * page.margin
                   - map_w - 4)
        else:
            pdf.set_y(top + map_h + 3)
            _table(pdf, sheet, page, page.margin, map_w)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


_HTML = """<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · route sheets</title>
<style>
@page { size: A4 {{ orientation }}; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: {{ fonts }}; color: #111; margin: 0; background: #e9e9e6; }
.sheet { background: #fff; width: {{ page_w }}mm; min-height: {{ page_h }}mm; margin: 8mm auto;
  padding: 10mm; box-shadow: 0 0 4px rgba(0,0,0,.3); }
.sheet header { border-left: 4mm solid var(--colour); padding-left: 3mm; margin-bottom: 3mm; }
.sheet h1 { font-size: 13pt; font-weight: normal; margin: 0 0 1mm; }
.facts { font-size: 9pt; margin: 0; }
.facts span { margin-right: 4mm; white-space: nowrap; }
.facts b { font-weight: normal; color: #555; }
.totals { font-size: 10pt; margin: 1mm 0 0; }
.note { font-size: 8pt; margin: 1mm 0 0; color: #333; }
.note b { font-weight: normal; color: #555; }
.body { display: flex; flex-direction: {{ "row" if landscape else "column" }}; gap: 4mm; }
.map { flex: 0 0 auto; border: 0; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border: 0.2mm solid #999; padding: 0.6mm 1.2mm; text-align: right;
  white-space: nowrap; }
th { background: #ebebeb; font-weight: normal; font-size: 8pt; text-align: center; }
td.no, td.tick { text-align: center; }
td.village { text-align: left; white-space: normal; }
td.village .en { color: #666; font-size: 8pt; margin-left: 1.5mm; }
tr:nth-child(even) td { background: #f6f6f6; }
tr.back td { background: #e4e4e4; }
tr.reload td { background: #dee8f5; text-align: left; font-style: italic; }
.box { display: inline-block; width: 3.6mm; height: 3.6mm; border: 0.3mm solid #333; }
footer { font-size: 7pt; color: #666; margin-top: 2mm; }
@media print {
  body { background: #fff; }
  .sheet { margin: 0; padding: 0; width: auto; min-height: 0; box-shadow: none;
    break-after: page; page-break-after: always; }
  .sheet:last-child { break-after: auto; page-break-after: auto; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
</head>
<body>
{% for s in sheets %}
<section class="sheet" id="sheet-{{ loop.index }}" style="--colour: {{ s.colour }}">
<header>
<h1>{{ s.title }}</h1>
<p class="facts">{% for label, value in s.facts[:4] -%}
<span><b>{{ label }}:</b> {{ value }}</span>
{%- endfor %}</p>
<p class="totals"><b>{{ s.facts[4][0] }}:</b> {{ s.facts[4][1] }}</p>
{% for label, value in s.facts[5:] %}<p class="note"><b>{{ label }}:</b> {{ value }}</p>
{% endfor %}
</header>
<div class="body">
<img class="map" style="width: {{ s.map_w }}mm; height: {{ s.map_h }}mm"
 alt="Map of route {{ s.vehicle }}" src="data:image/png;base64,{{ s.png }}">
<table>
<thead><tr>{% for c in s.columns %}<th>{{ c.label }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in s.rows %}{% if row.kind == "reload" %}<tr class="reload">
<td colspan="{{ s.columns | length }}">{{ row.name }}</td></tr>
{% else %}<tr{% if row.kind == "back" %} class="back"{% endif %}>{% for c in s.columns %}
{%- if c.key == "name" %}<td class="village">{{ row.name }}
{%- if row.name_en %}<span class="en">{{ row.name_en }}</span>{% endif %}</td>
{%- elif c.key == "tick" %}<td class="tick"><span class="box"></span></td>
{%- elif c.key == "no" %}<td class="no">{{ row.no }}</td>
{%- else %}<td>{{ row[c.key] }}</td>{% endif %}{% endfor %}</tr>
{% endif %}{% endfor %}</tbody>
</table>
</div>
<footer>ruralroute route sheet · roads and villages © OpenStreetMap contributors, ODbL</footer>
</section>
{% endfor %}
</body>
</html>
"""


def sheets_html(book: SheetBook, *, landscape: bool = False,
                maps: Mapping[str, bytes] | None = None) -> str:
    """The route sheets as one print-ready HTML page (one sheet per printed A4 page).

    ``maps`` as for :func:`write_sheets_pdf`; the maps are inlined as PNG data URIs so the
    file stands alone.
    """
    if not book.sheets:
        raise RuralRouteError("the plan has no routes, so there are no route sheets to print")
    page = _LANDSCAPE if landscape else _PORTRAIT
    inner = page.width - 2 * page.margin
    pngs = _maps(book, landscape, maps)
    items = []
    for sheet in book.sheets:
        map_w, map_h = _map_size(sheet, page)
        table_w = inner - map_w - 4 if landscape else inner
        items.append({
            "title": sheet.title, "vehicle": sheet.vehicle, "colour": sheet.colour,
            "facts": sheet_facts(sheet), "rows": stop_rows(sheet),
            "columns": _columns(sheet, page, table_w),
            "png": base64.b64encode(pngs[sheet.vehicle]).decode("ascii"),
            "map_w": f"{map_w:.1f}", "map_h": f"{map_h:.1f}"})
    env = Environment(autoescape=True)
    return env.from_string(_HTML).render(
        title=book.sheets[0].title, sheets=items, fonts=HTML_FONTS, landscape=landscape,
        orientation="landscape" if landscape else "portrait", page_w=f"{page.width:.0f}",
        page_h=f"{page.height:.0f}")


def write_sheets(book: SheetBook, out_dir: str | Path, *, landscape: bool = False,
                 font: Path | None = None) -> list[Path]:
    """Write ``sheets.pdf`` and ``sheets.html`` into ``out_dir``; return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    maps = _maps(book, landscape, None)
    pdf = write_sheets_pdf(book, out / "sheets.pdf", landscape=landscape, font=font, maps=maps)
    html_path = out / "sheets.html"
    html_path.write_text(sheets_html(book, landscape=landscape, maps=maps), encoding="utf-8")
    return [pdf, html_path]

