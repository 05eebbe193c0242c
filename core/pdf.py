"""PDF set-up every PDF in the project shares: one CJK TrueType font, embedded as a subset.

reportlab embeds (and subsets) only fonts with TrueType outlines, so the face is Noto Sans SC (SIL OFL 1.1)
as Google Fonts ships it, a ``.ttf`` with ``glyf`` outlines, installed by the pinned package
``justmytype-intl-cjk`` (requirements.txt). Every PDF built with ``cjk_font()`` carries the glyphs it uses
(``/FontFile2``), so it reads the same on a machine without any Chinese font.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

CJK_FONT_NAME = "NotoSansSC"
_PACKAGE = "justmytype_intl_cjk"
_RELATIVE = ("fonts", "ofl", "notosanssc", "NotoSansSC[wght].ttf")


def cjk_font_path() -> Path:
    """The TrueType file of the CJK face, inside its installed package."""
    path = Path(str(files(_PACKAGE).joinpath(*_RELATIVE)))
    if not path.is_file():  # pragma: no cover - a broken install
        raise FileNotFoundError(f"CJK font missing: {path} (pip install -r requirements.txt)")
    return path


@cache
def cjk_font() -> str:
    """Register the CJK face with reportlab once and return its font name (subset-embedded on use)."""
    pdfmetrics.registerFont(TTFont(CJK_FONT_NAME, str(cjk_font_path())))
    return CJK_FONT_NAME


def cjk_document_options() -> dict[str, object]:
    """Keyword arguments for ``SimpleDocTemplate`` / ``BaseDocTemplate``: the canvas starts in the CJK
    face, so the PDF declares no font it does not embed (reportlab's default initial font is an
    unembedded Helvetica)."""
    return {"initialFontName": cjk_font(), "initialFontSize": 9}
