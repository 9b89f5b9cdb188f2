"""System checks for what WeasyPrint needs to print Chinese."""

import shutil
import subprocess

from django.core.checks import Warning as CheckWarning
from django.core.checks import register
from django.utils.translation import gettext_lazy as _


def cjk_font_families() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    out = subprocess.run(  # noqa: S603
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10, check=False  # noqa: S607
    ).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


@register()
def cjk_font_installed(app_configs, **kwargs):
    if cjk_font_families():
        return []
    return [
        CheckWarning(
            _("No CJK font is installed, so Chinese in PDFs would print as boxes."),
            hint=_("Install the Debian package fonts-noto-cjk."),
            id="hezuo.W001",
        )
    ]
