"""What a printed PDF holds, page by page: read with pdfium (pypdfium2), for the printing tests."""

from __future__ import annotations

import ctypes

import pypdfium2 as pdfium

A4 = (595.0, 842.0)  # points


def images_per_page(path) -> tuple[list[list[tuple[float, float, float, float]]], list[tuple[float, float]]]:
    """The bounds of every image on every page (points from the page's lower left corner), and each page's size."""
    doc = pdfium.PdfDocument(str(path))
    images = [[o.get_bounds() for o in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=8)] for page in doc]
    return images, [page.get_size() for page in doc]


def text_right_edges(path) -> list[tuple[float, float]]:
    """Per page, the right edge of the rightmost character and the page's width (points)."""
    doc = pdfium.PdfDocument(str(path))
    out = []
    for page in doc:
        text = page.get_textpage()
        rights = [text.get_charbox(i)[2] for i in range(text.count_chars())]
        out.append((max(rights, default=0.0), page.get_size()[0]))
    return out


def page_texts(path) -> list[str]:
    """The text of every page, as a reader could select it."""
    return [page.get_textpage().get_text_range() for page in pdfium.PdfDocument(str(path))]


def font_sizes(path) -> list[float]:
    """The size on the page (points) of each text run, after any scaling the printer applied."""
    out = []
    for page in pdfium.PdfDocument(str(path)):
        for obj in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_TEXT], max_depth=8):
            size = pdfium.raw.FPDFTextObj_GetFontSize(obj.raw, ctypes.byref(value := ctypes.c_float()))
            if size:
                out.append(value.value * abs(obj.get_matrix().get()[0]))
    return out
