"""Reading PDFs back in tests: the fonts a page uses (and whether they are embedded) and its text."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader


@dataclass(frozen=True)
class PageFont:
    base_font: str  # e.g. "ABCDEF+NotoSansSC" for an embedded subset
    embedded_bytes: int  # length of /FontFile2 (TrueType), 0 when the font is not embedded


def page_fonts(pdf: bytes, *, page: int = 0) -> list[PageFont]:
    reader = PdfReader(io.BytesIO(pdf))
    out = []
    for ref in reader.pages[page]["/Resources"]["/Font"].values():
        font = ref.get_object()
        descriptor = font.get("/FontDescriptor")
        embedded = 0
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            embedded = len(descriptor.get_object()["/FontFile2"].get_object().get_data())
        out.append(PageFont(base_font=str(font["/BaseFont"])[1:], embedded_bytes=embedded))
    return out


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)
