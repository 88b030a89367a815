"""The CJK font check. WeasyPrint silently drops glyphs it has no font for, so an invoice
rendered without a Chinese font would be blank where it matters: PDF work stops instead.

The check asks fontconfig (the library WeasyPrint's Pango uses, with the same configuration,
so ``FONTCONFIG_FILE`` applies to both) for fonts that cover Chinese.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

# Named first in every PDF stylesheet: WenQuanYi Micro Hei subsets in about 1.5 s per document,
# Noto CJK (a large TTC) in about 9 s; the others are fallbacks that still render correctly.
CJK_FONT_STACK = '"WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif'
PREFERRED_FAMILY = "WenQuanYi Micro Hei"
INSTALL_HINT = "请安装 fonts-wqy-microhei（Debian/Ubuntu：apt-get install fonts-wqy-microhei）"


class MissingCJKFontError(RuntimeError):
    """No font on this machine covers Chinese: a PDF would lose every Chinese character."""


class _FcFontSet(ctypes.Structure):
    _fields_ = [("nfont", ctypes.c_int), ("sfont", ctypes.c_int), ("fonts", ctypes.POINTER(ctypes.c_void_p))]


@functools.lru_cache(maxsize=1)
def _fontconfig():
    lib = ctypes.CDLL(ctypes.util.find_library("fontconfig") or "libfontconfig.so.1")
    lib.FcInitLoadConfigAndFonts.restype = ctypes.c_void_p
    lib.FcNameParse.restype = ctypes.c_void_p
    lib.FcNameParse.argtypes = [ctypes.c_char_p]
    lib.FcObjectSetBuild.restype = ctypes.c_void_p
    lib.FcFontList.restype = ctypes.POINTER(_FcFontSet)
    lib.FcFontList.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.FcPatternGetString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    lib.FcFontSetDestroy.argtypes = [ctypes.POINTER(_FcFontSet)]
    lib.FcObjectSetDestroy.argtypes = [ctypes.c_void_p]
    lib.FcPatternDestroy.argtypes = [ctypes.c_void_p]
    lib.FcConfigDestroy.argtypes = [ctypes.c_void_p]
    return lib


def cjk_font_families() -> list[str]:
    """Families fontconfig knows that cover Chinese (``fc-list :lang=zh family``)."""
    try:
        lib = _fontconfig()
    except OSError:
        return []
    config = lib.FcInitLoadConfigAndFonts()
    pattern = lib.FcNameParse(b":lang=zh")
    objects = lib.FcObjectSetBuild(b"family", None)
    fonts = lib.FcFontList(config, pattern, objects)
    families: set[str] = set()
    try:
        if fonts:
            for i in range(fonts.contents.nfont):
                value = ctypes.c_char_p()
                if lib.FcPatternGetString(fonts.contents.fonts[i], b"family", 0, ctypes.byref(value)) == 0:
                    families.add(value.value.decode("utf-8", "replace"))
    finally:
        if fonts:
            lib.FcFontSetDestroy(fonts)
        lib.FcObjectSetDestroy(objects)
        lib.FcPatternDestroy(pattern)
        if config:
            lib.FcConfigDestroy(config)
    return sorted(families)


_found: list[str] = []


def require_cjk_font() -> list[str]:
    """The Chinese font families available; raises MissingCJKFontError when there are none.

    A positive answer is remembered for the process; a negative one is asked again each time,
    so installing the font does not need a restart.
    """
    if _found:
        return _found
    families = cjk_font_families()
    if not families:
        raise MissingCJKFontError(f"未找到中文字体，无法生成 PDF（否则中文会被静默丢弃）。{INSTALL_HINT}")
    _found[:] = families
    return families
