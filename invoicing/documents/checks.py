"""Start-up check: warn when no Chinese font is installed (PDF work would then refuse to run)."""

from django.core import checks

from invoicing.documents.fonts import INSTALL_HINT, PREFERRED_FAMILY, cjk_font_families


@checks.register()
def cjk_font_check(app_configs=None, **kwargs):
    families = cjk_font_families()
    if not families:
        return [checks.Warning("未找到中文字体：发票 PDF 与审计报告将无法生成。", hint=INSTALL_HINT,
                               id="invoicing.W001")]
    if PREFERRED_FAMILY not in families:
        return [checks.Warning(
            f"未找到 {PREFERRED_FAMILY}；将使用 {families[0]}，大字库（如 Noto CJK）每份 PDF 约慢 9 秒。",
            hint=INSTALL_HINT, id="invoicing.W002")]
    return []
