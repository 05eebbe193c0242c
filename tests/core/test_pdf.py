"""core.pdf: the one CJK face every PDF uses is a TrueType file that reportlab embeds as a subset."""

import io
import re

from reportlab.pdfgen import canvas

from core.pdf import CJK_FONT_NAME, cjk_font, cjk_font_path
from tests.support.pdf import page_fonts, pdf_text


def test_the_face_is_a_truetype_file_from_the_pinned_package():
    path = cjk_font_path()
    assert path.name == "NotoSansSC[wght].ttf"
    with path.open("rb") as handle:
        assert handle.read(4) == b"\x00\x01\x00\x00"  # sfnt version 1.0: TrueType outlines, not CFF ("OTTO")


def test_a_pdf_drawn_with_it_embeds_a_subset_and_reads_back_as_chinese():
    assert cjk_font() == CJK_FONT_NAME == cjk_font()  # registered once, same name
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont(cjk_font(), 12)
    page.drawString(50, 700, "已缴清 应缴金额 ¥ 1,234.56")
    page.save()
    pdf = buffer.getvalue()
    [font] = [f for f in page_fonts(pdf) if "NotoSansSC" in f.base_font]
    assert re.fullmatch(r"[A-Z]{6}\+NotoSansSC(-\w+)?", font.base_font)  # a subset tag, ABCDEF+
    assert 0 < font.embedded_bytes < 200_000  # embedded: the glyphs used, not the 17 MB face
    assert "已缴清 应缴金额 ¥ 1,234.56" in pdf_text(pdf)
