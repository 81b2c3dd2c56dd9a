"""A CJK font for matplotlib that does not depend on what the machine happens to have installed.

matplotlib ships no Chinese glyphs: without a CJK font it draws boxes and warns "Glyph … missing
from font". Noto Sans SC (SIL OFL 1.1) comes from the pinned PyPI package `pylopdf-fonts-zh-cn`
(its files are the notofonts/noto-cjk SubsetOTF, SHA-256 stated in the package), so a fresh
`pip install -r requirements.txt` brings it; it is registered with matplotlib's font manager once.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

_LOCK = threading.Lock()


def cjk_font_path() -> Path:
    """The Noto Sans SC file shipped by the pinned font package."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


@functools.cache
def cjk_family() -> str:
    """Register the CJK font with matplotlib (once) and return its family name."""
    path = cjk_font_path()
    with _LOCK:
        font_manager.fontManager.addfont(str(path))
    return FontProperties(fname=str(path)).get_name()


def cjk(size: float | None = None) -> FontProperties:
    """FontProperties for Chinese text, pinned to the shipped file; pass it to every text artist.

    Pinning the file (not just the family name) means a same-named system font can never be
    picked instead, and no global rcParams are touched, so concurrent requests cannot interfere.
    """
    cjk_family()
    return FontProperties(fname=str(cjk_font_path()), size=size)
