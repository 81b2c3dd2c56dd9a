"""Write a `ReportDocument` as a Word file in the usual form of a 公文 (GB/T 9704-2012 layout).

A4 with 37/35/28/26 mm margins, title in 二号 方正小标宋简体, body in 三号 仿宋_GB2312 at a
fixed 28 pt line pitch with a two-character first-line indent, level-one headings in 三号 黑体,
page numbers "— 1 —" at the foot. Chinese fonts are set as East-Asian fonts (`w:eastAsia`), and
the font table names an `altName` for each (仿宋, 黑体, 楷体, 宋体), so a machine without the
GB2312 fonts falls back to the standard Windows ones instead of a Latin font.
"""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from app.services.report_document import Heading, Image, Paragraph, ReportDocument, Table

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"
KAI_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"
# Fallback Word uses when the named font is missing (w:altName in the font table).
ALT_NAMES = {
    BODY_FONT: "仿宋",
    HEADING_FONT: "SimHei",
    TITLE_FONT: "宋体",
    KAI_FONT: "楷体",
    "仿宋": "FangSong",
    "楷体": "KaiTi",
}
BODY_SIZE = Pt(16)  # 三号
LINE_PITCH = Pt(28)


def _set_fonts(rpr_owner: object, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set the run fonts of a style or run, East-Asian explicitly, theme fonts removed."""
    rpr = rpr_owner.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _run(paragraph: DocxParagraph, text: str, font: str, size: Pt, bold: bool = False) -> None:
    run = paragraph.add_run(text)
    run.font.size = size
    run.font.bold = bold
    run.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(run._element, font)


def _font_table(document: object) -> None:
    """Declare the Chinese fonts with their fallbacks (w:altName) and GB2312 charset."""
    part = next(
        p
        for p in document.part.package.iter_parts()  # type: ignore[attr-defined]
        if p.partname.endswith("fontTable.xml")
    )
    from docx.oxml import parse_xml

    root = parse_xml(part.blob)
    known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt in ALT_NAMES.items():
        if name in known:
            continue
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, value in (("w:altName", alt), ("w:charset", "86"), ("w:family", "modern")):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            font.append(child)
        root.append(font)
    from lxml import etree

    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _styles(document: object) -> None:
    styles = document.styles  # type: ignore[attr-defined]
    normal = styles["Normal"]
    normal.font.size = BODY_SIZE
    _set_fonts(normal.element, BODY_FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(32)  # two characters of 三号
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    heading = styles["Heading 1"]
    heading.font.size = BODY_SIZE
    heading.font.bold = False
    heading.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(heading.element, HEADING_FONT)
    hfmt = heading.paragraph_format
    hfmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    hfmt.line_spacing = LINE_PITCH
    hfmt.space_before = Pt(0)
    hfmt.space_after = Pt(0)
    hfmt.first_line_indent = Pt(32)
    hfmt.keep_with_next = True


def _page(document: object) -> None:
    section = document.sections[0]  # type: ignore[attr-defined]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.paragraph_format.first_line_indent = Pt(0)
    _run(footer, "— ", "宋体", Pt(14))
    run = footer.add_run()
    run.font.size = Pt(14)
    for tag, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if tag:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), tag)
            run._element.append(field)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)
    _run(footer, " —", "宋体", Pt(14))


def _plain(paragraph: DocxParagraph, align: WD_ALIGN_PARAGRAPH | None = None) -> DocxParagraph:
    fmt = paragraph.paragraph_format
    fmt.first_line_indent = Pt(0)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _repeat_header(row: object) -> None:
    trpr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _table(document: object, table: Table) -> DocxTable:
    caption = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)  # type: ignore[attr-defined]
    caption.paragraph_format.keep_with_next = True
    caption.paragraph_format.space_before = Pt(6)
    _run(caption, table.caption, HEADING_FONT, Pt(12))
    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.header))  # type: ignore[attr-defined]
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = sum(table.widths)
    usable = 15.6  # cm between the margins
    widths = [Cm(usable * w / total) for w in table.widths]
    for r, values in enumerate((table.header, *table.rows)):
        row = grid.rows[r]
        if r == 0:
            _repeat_header(row)
        for c, value in enumerate(values):
            cell = row.cells[c]
            cell.width = widths[c]
            paragraph = cell.paragraphs[0]
            fmt = paragraph.paragraph_format
            fmt.first_line_indent = Pt(0)
            fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
            if r == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif table.numeric[c]:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            else:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            font = HEADING_FONT if r == 0 else BODY_FONT
            _run(paragraph, value, font, Pt(10.5))
    if table.note:
        note = _plain(document.add_paragraph())  # type: ignore[attr-defined]
        _run(note, table.note, BODY_FONT, Pt(10.5))
    return grid


def _image(document: object, image: Image) -> None:
    holder = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)  # type: ignore[attr-defined]
    holder.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    holder.paragraph_format.keep_with_next = True
    holder.paragraph_format.space_before = Pt(6)
    holder.add_run().add_picture(io.BytesIO(image.png), width=Cm(image.width_cm))
    caption = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)  # type: ignore[attr-defined]
    _run(caption, image.caption, KAI_FONT, Pt(12))


def write_docx(report: ReportDocument) -> bytes:
    """The .docx bytes of the report."""
    document = Document()
    _styles(document)
    _font_table(document)
    _page(document)
    props = document.core_properties
    props.title = report.title + report.subtitle
    props.author = report.sender
    props.subject = report.meta.get("quarter") or report.meta.get("month", "")
    props.keywords = f"截至 {report.as_of.isoformat()}"
    stamp = dt.datetime.combine(report.signed_on, dt.time())
    props.created = props.modified = stamp
    props.last_modified_by = report.sender
    props.revision = 1
    props.comments = report.footnote

    title = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_before = Pt(0)
    _run(title, report.title, TITLE_FONT, Pt(22))
    subtitle = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)
    _run(subtitle, report.subtitle, KAI_FONT, BODY_SIZE)
    document.add_paragraph()
    addressee = _plain(document.add_paragraph())
    _run(addressee, report.addressee, BODY_FONT, BODY_SIZE)
    for block in report.blocks:
        if isinstance(block, Heading):
            paragraph = document.add_paragraph(style="Heading 1")
            _run(paragraph, block.text, HEADING_FONT, BODY_SIZE)
        elif isinstance(block, Paragraph):
            paragraph = document.add_paragraph()
            _run(paragraph, block.text, BODY_FONT, BODY_SIZE)
        elif isinstance(block, Table):
            _table(document, block)
        elif isinstance(block, Image):
            _image(document, block)
    document.add_paragraph()
    for text in (
        report.sender,
        f"{report.signed_on.year}年{report.signed_on.month}月{report.signed_on.day}日",
    ):
        line = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.RIGHT)
        line.paragraph_format.right_indent = Pt(64)  # 右空四字 (GB/T 9704 7.3.5)
        _run(line, text, BODY_FONT, BODY_SIZE)
    document.add_paragraph()
    note = _plain(document.add_paragraph())
    _run(note, f"（{report.footnote}）", BODY_FONT, Pt(12))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
