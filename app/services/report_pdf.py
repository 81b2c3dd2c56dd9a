"""Write a `ReportDocument` as a PDF, laid out like the Word file, with matplotlib's PDF backend.

No office suite is needed on the server (LibreOffice is not available on users' machines): each
page is a `matplotlib.figure.Figure` the size of A4 on which this module sets the text line by
line, draws the tables cell by cell and places the charts. Fonts: the machine's 仿宋/黑体/楷体/
小标宋 when matplotlib finds them, else the shipped Noto Serif SC / Noto Sans SC (the pinned
`pylopdf-fonts-zh-cn` package, the same files `gis.fonts` uses), embedded as Type 42 so the text
stays selectable and searchable.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.image import imread
from matplotlib.lines import Line2D
from matplotlib.transforms import Affine2D

from app.services.report_document import Heading, Image, Paragraph, ReportDocument, Table

# Type 42 embeds the (subset) font itself: text can be selected and searched, unlike Type 3.
matplotlib.rcParams["pdf.fonttype"] = 42

PAGE_W, PAGE_H = 595.28, 841.89  # A4 in points
TOP, BOTTOM, LEFT, RIGHT = 104.9, 99.2, 79.4, 73.7  # 37/35/28/26 mm (GB/T 9704)
WIDTH = PAGE_W - LEFT - RIGHT
BODY_SIZE, PITCH = 16.0, 28.0
TABLE_SIZE, TABLE_PITCH, CELL_PAD = 10.5, 14.0, 3.0

# Family names as matplotlib's font manager reports them, best first.
CANDIDATES = {
    "body": ("FangSong_GB2312", "FangSong", "仿宋_GB2312", "仿宋", "STFangsong"),
    "heading": ("SimHei", "黑体", "STHeiti", "Heiti SC"),
    "title": ("FZXiaoBiaoSong-B05S", "方正小标宋简体", "SimSun", "宋体", "STSong"),
    "kai": ("KaiTi_GB2312", "KaiTi", "楷体_GB2312", "楷体", "STKaiti"),
}
# Characters that may not start a line (行首禁则): they stay with the line before.
NO_LINE_START = set("，。、；：？！）》」』”’％%,.;:?!)]}·…—")
_TOKEN = re.compile(r"[A-Za-z0-9.%\-/:]+|.", re.DOTALL)
_LOCK = threading.Lock()


def _shipped(kind: str) -> str:
    import pylopdf_fonts_zh_cn

    return (
        pylopdf_fonts_zh_cn.sans_path() if kind == "heading" else pylopdf_fonts_zh_cn.serif_path()
    )


@functools.cache
def font_path(kind: str) -> str:
    """The file used for a kind of text: a system 仿宋/黑体/… if installed, else the shipped one."""
    by_name = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    for name in CANDIDATES[kind]:
        if name in by_name:
            return str(by_name[name])
    return str(_shipped(kind))


@functools.cache
def _ft2font(path: str) -> FT2Font:
    return FT2Font(path)


@functools.cache
def _advance(path: str, char: str) -> float:
    """Advance width of one character at 1 pt."""
    font = _ft2font(path)
    font.set_size(100, 72)
    glyph = font.load_char(ord(char))
    return glyph.linearHoriAdvance / 65536 / 100


def text_width(text: str, kind: str, size: float) -> float:
    """Width of a string in points."""
    path = font_path(kind)
    with _LOCK:  # FT2Font objects are not thread-safe; the job runner draws in a thread
        return sum(_advance(path, ch) for ch in text) * size


def wrap(text: str, kind: str, size: float, width: float, indent: float = 0.0) -> list[str]:
    """Break Chinese text into lines: anywhere between characters, never splitting a number or
    a Latin word, and never starting a line with closing punctuation (it overhangs instead)."""
    lines: list[str] = []
    current, used, limit = "", 0.0, width - indent
    for token in _TOKEN.findall(text):
        if token == "\n":
            lines.append(current)
            current, used, limit = "", 0.0, width
            continue
        w = text_width(token, kind, size)
        if current and used + w > limit and token[0] not in NO_LINE_START:
            lines.append(current)
            current, used, limit = "", 0.0, width
        current += token
        used += w
    if current or not lines:
        lines.append(current)
    return lines


@dataclass
class _Cursor:
    figure: Figure
    y: float  # distance from the top of the page, in points
    number: int


class _Layout:
    """Pages of A4 filled from top to bottom; `need` starts a new page when space runs out."""

    def __init__(self, pdf: PdfPages) -> None:
        self.pdf = pdf
        self.page: _Cursor | None = None
        self.count = 0
        self.new_page()

    def _transform(self, figure: Figure) -> Affine2D:
        return Affine2D().scale(1 / 72) + figure.dpi_scale_trans  # type: ignore[return-value]

    def new_page(self) -> None:
        self.finish_page()
        self.count += 1
        figure = Figure(figsize=(PAGE_W / 72, PAGE_H / 72), dpi=72)
        self.page = _Cursor(figure, TOP, self.count)

    def finish_page(self) -> None:
        if self.page is None:
            return
        number = f"— {self.page.number} —"
        self.text(number, (PAGE_W - text_width(number, "title", 14)) / 2, PAGE_H - 60, "title", 14)
        self.pdf.savefig(self.page.figure)
        self.page = None

    @property
    def cursor(self) -> _Cursor:
        assert self.page is not None
        return self.page

    def need(self, height: float) -> None:
        if self.cursor.y + height > PAGE_H - BOTTOM:
            self.new_page()

    def text(self, text: str, x: float, y_top: float, kind: str, size: float) -> None:
        """Set one line with its top at `y_top` (points from the page top)."""
        figure = self.cursor.figure
        figure.text(
            x,
            PAGE_H - y_top - size,
            text,
            transform=self._transform(figure),
            fontproperties=FontProperties(fname=font_path(kind), size=size),
            va="baseline",
        )

    def lines(
        self,
        text: str,
        kind: str,
        size: float,
        pitch: float,
        *,
        indent: float = 0.0,
        align: str = "left",
        right_indent: float = 0.0,
        keep_with_next: float = 0.0,
    ) -> None:
        width = WIDTH - right_indent
        wrapped = wrap(text, kind, size, width, indent)
        for i, line in enumerate(wrapped):
            extra = keep_with_next if i == len(wrapped) - 1 else 0.0
            self.need(pitch + extra)
            offset = indent if i == 0 else 0.0
            line_width = text_width(line, kind, size)
            if align == "center":
                x = LEFT + (width - line_width) / 2
            elif align == "right":
                x = LEFT + width - line_width
            else:
                x = LEFT + offset
            self.text(line, x, self.cursor.y + (pitch - size) / 2, kind, size)
            self.cursor.y += pitch

    def rule(self, x0: float, y0: float, x1: float, y1: float) -> None:
        figure = self.cursor.figure
        figure.add_artist(
            Line2D(
                [x0, x1],
                [PAGE_H - y0, PAGE_H - y1],
                transform=self._transform(figure),
                color="black",
                linewidth=0.6,
            )
        )

    def image(self, png: bytes, width_cm: float) -> None:
        pixels = imread(io.BytesIO(png), format="png")
        height_px, width_px = pixels.shape[:2]
        width = min(width_cm / 2.54 * 72, WIDTH)
        height = width * height_px / width_px
        self.need(height + PITCH)  # the caption stays with its picture
        figure = self.cursor.figure
        x = LEFT + (WIDTH - width) / 2
        y = PAGE_H - self.cursor.y - height
        axes = figure.add_axes((x / PAGE_W, y / PAGE_H, width / PAGE_W, height / PAGE_H))
        # "none" embeds the picture at its own resolution (the page figure is only 72 dpi).
        axes.imshow(pixels, interpolation="none")
        axes.set_axis_off()
        self.cursor.y += height + 4


def _table(layout: _Layout, table: Table) -> None:
    layout.lines(table.caption, "heading", 12, 22, align="center", keep_with_next=40)
    total = sum(table.widths)
    widths = [WIDTH * w / total for w in table.widths]

    def wrapped(values: Sequence[str], kind: str) -> list[list[str]]:
        return [
            wrap(v, kind, TABLE_SIZE, w - 2 * CELL_PAD) for v, w in zip(values, widths, strict=True)
        ]

    header = wrapped(table.header, "heading")

    def draw(cells: list[list[str]], values: Sequence[str], kind: str, is_header: bool) -> None:
        height = max(len(c) for c in cells) * TABLE_PITCH + 2 * CELL_PAD
        top = layout.cursor.y
        x = LEFT
        for col, (lines, width) in enumerate(zip(cells, widths, strict=True)):
            for i, line in enumerate(lines):
                w = text_width(line, kind, TABLE_SIZE)
                if is_header:
                    tx = x + (width - w) / 2
                elif table.numeric[col]:
                    tx = x + width - CELL_PAD - w
                else:
                    tx = x + CELL_PAD
                layout.text(line, tx, top + CELL_PAD + i * TABLE_PITCH + 1.5, kind, TABLE_SIZE)
            x += width
        bottom = top + height
        layout.rule(LEFT, top, LEFT + WIDTH, top)
        layout.rule(LEFT, bottom, LEFT + WIDTH, bottom)
        x = LEFT
        for width in (0.0, *widths):
            x += width
            layout.rule(x, top, x, bottom)
        layout.cursor.y = bottom

    def header_height() -> float:
        return max(len(c) for c in header) * TABLE_PITCH + 2 * CELL_PAD

    layout.need(header_height() + TABLE_PITCH + 2 * CELL_PAD)
    draw(header, table.header, "heading", True)
    for row in table.rows:
        cells = wrapped(row, "body")
        height = max(len(c) for c in cells) * TABLE_PITCH + 2 * CELL_PAD
        if layout.cursor.y + height > PAGE_H - BOTTOM:
            layout.new_page()
            draw(header, table.header, "heading", True)  # the header repeats on each page
        draw(cells, row, "body", False)
    layout.cursor.y += 6
    if table.note:
        layout.lines(table.note, "body", TABLE_SIZE, TABLE_PITCH)


def _blocks(layout: _Layout, report: ReportDocument) -> Iterator[None]:
    layout.lines(report.title, "title", 22, 36, align="center")
    layout.lines(report.subtitle, "kai", BODY_SIZE, PITCH, align="center")
    layout.cursor.y += PITCH
    layout.lines(report.addressee, "body", BODY_SIZE, PITCH)
    for block in report.blocks:
        if isinstance(block, Heading):
            layout.lines(block.text, "heading", BODY_SIZE, PITCH, indent=32, keep_with_next=PITCH)
        elif isinstance(block, Paragraph):
            layout.lines(block.text, "body", BODY_SIZE, PITCH, indent=32)
        elif isinstance(block, Table):
            _table(layout, block)
        elif isinstance(block, Image):
            layout.image(block.png, block.width_cm)
            layout.lines(block.caption, "kai", 12, 20, align="center")
        yield
    layout.cursor.y += PITCH
    signed = f"{report.signed_on.year}年{report.signed_on.month}月{report.signed_on.day}日"
    layout.need(3 * PITCH)
    for text in (report.sender, signed):
        layout.lines(text, "body", BODY_SIZE, PITCH, align="right", right_indent=64)
    layout.cursor.y += PITCH
    layout.lines(f"（{report.footnote}）", "body", 12, 20)


def write_pdf(report: ReportDocument) -> bytes:
    """The PDF bytes of the report (the same blocks as the Word file)."""
    buffer = io.BytesIO()
    stamp = dt.datetime.combine(report.signed_on, dt.time(), tzinfo=dt.UTC)
    metadata = {
        "Title": report.title + report.subtitle,
        "Author": report.sender,
        "Subject": report.footnote,
        "Creator": "石嘴山市城镇住宅“办证难”化解系统",
        "CreationDate": stamp,
        "ModDate": stamp,
    }
    with PdfPages(buffer, metadata=metadata) as pdf:  # type: ignore[arg-type]
        layout = _Layout(pdf)
        for _ in _blocks(layout, report):
            pass
        layout.finish_page()
    return buffer.getvalue()
