"""System checks for what WeasyPrint needs to print Chinese."""

import shutil
import subprocess
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register
from django.utils.translation import gettext_lazy as _


def cjk_font_families() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    out = subprocess.run(
        ["fc-list", ":lang=zh", "family"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
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


@register(deploy=True)
def public_url_is_set(app_configs, **kwargs):
    """Issued PDFs print HEZUO_PUBLIC_URL for ever, so production must not leave it on localhost."""
    host = urlsplit(settings.HEZUO_PUBLIC_URL).hostname or ""
    if host in {"127.0.0.1", "localhost", ""} or not settings.HEZUO_PUBLIC_URL.startswith("https://"):
        return [
            CheckWarning(
                _("HEZUO_PUBLIC_URL is %(url)s; issued PDFs would print this address for ever.")
                % {"url": settings.HEZUO_PUBLIC_URL},
                hint=_("Set HEZUO_PUBLIC_URL to the public https:// address before issuing documents."),
                id="hezuo.W003",
            )
        ]
    return []
