"""A `Document` (core.documents) printed as a PDF with fpdf2.

fpdf2 is pure Python (no system libraries, unlike WeasyPrint's pango and cairo), so `make run`
needs nothing more from Debian. Text is set in DejaVu Sans when the system has it (Debian's
fonts-dejavu-core: every script a customer's name may be written in); otherwise in the PDF's
built-in Helvetica, which covers Latin-1 only, with other characters replaced.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from fpdf.table import Row

from configurator.core.documents import Document

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
)
_LATIN1 = str.maketrans(
    {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
     "\u201d": '"', "\u2026": "...", "\u00b7": "-"}
)  # fmt: skip


def dejavu() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        fonts = dejavu()
        if fonts is not None:
            self.add_font("DejaVu", "", str(fonts[0]))
            self.add_font("DejaVu", "B", str(fonts[1]))
            self.family = "DejaVu"
            self.unicode = True
        else:
            self.family = "Helvetica"
            self.unicode = False

    def text_of(self, text: str) -> str:
        if self.unicode:
            return text
        return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 6, self.text_of(f"{self.footer_text} - page {self.page_no()}"), align="C")


PICTURE_SHARE = 9
"""The build's picture takes a ninth of the table's width (20 mm on A4), taken from the
widest column, so the narrow ones (quantities) keep their width."""


def _widths(document: Document, *, pictures: bool) -> tuple[float, ...]:
    columns = [float(column.width) for column in document.columns]
    if not pictures:
        return tuple(columns)
    picture = sum(columns) / PICTURE_SHARE
    widest = columns.index(max(columns))
    columns[widest] -= picture
    return (picture, *columns)


def _aligns(document: Document) -> tuple[str, ...]:
    return tuple("RIGHT" if column.numeric else "LEFT" for column in document.columns)


def _picture_cell(cells: Row, picture: bytes | None) -> None:
    if picture:
        cells.cell(img=BytesIO(picture), img_fill_width=True)
    else:
        cells.cell("")


def _table(pdf: _Pdf, document: Document) -> None:
    """The rows, each one's details under the cell they belong to, after its build's picture."""
    text = pdf.text_of
    pdf.set_font(pdf.family, "", 9)
    pictures = any(row.picture for row in document.rows)
    widths = _widths(document, pictures=pictures)
    aligns = (*(("LEFT",) if pictures else ()), *_aligns(document))
    with pdf.table(
        col_widths=widths,
        text_align=aligns,
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
        line_height=5,
        padding=1.5,
    ) as table:
        heading = table.row()
        if pictures:
            heading.cell(text("Build"))
        for column in document.columns:
            heading.cell(text(column.label))
        for row in document.rows:
            cells = table.row()
            if pictures:
                _picture_cell(cells, row.picture)
            for index, value in enumerate(row.cells):
                if index == row.details_at and row.details:
                    value = "\n".join((value, *(f"  {d}" for d in row.details)))
                cells.cell(text(value))


def render_pdf(document: Document) -> bytes:
    """The document as PDF bytes: title, facts, address, the table with each row's details
    under the cell they belong to, totals and notes."""
    pdf = _Pdf(document.title)
    pdf.set_title(pdf.text_of(document.title))
    pdf.set_creator("Layerworks")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    text = pdf.text_of
    pdf.set_font(pdf.family, "B", 16)
    pdf.multi_cell(0, 9, text(document.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(pdf.family, "", 10)
    for label, value in document.facts:
        pdf.multi_cell(0, 5.5, text(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(pdf.family, "B", 10)
    pdf.cell(0, 5.5, text(document.address_heading), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    for part in document.address:
        pdf.multi_cell(0, 5, text(part), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _table(pdf, document)
    pdf.ln(3)
    pdf.set_font(pdf.family, "B", 10)
    for label, value in document.totals:
        pdf.cell(0, 6, text(f"{label}: {value}"), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 9)
    for note in document.notes:
        pdf.multi_cell(0, 5, text(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
