"""System checks: what WeasyPrint needs to print Chinese, and what production must not leave at its default."""

import os
import shutil
import subprocess
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Info, register
from django.core.checks import Warning as CheckWarning
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


PROCESS_LOCAL_CACHES = {"django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"}


def web_processes() -> int:
    """How many web processes the deployment says it runs: WEB_CONCURRENCY, gunicorn's own default for --workers."""
    try:
        return max(int(os.environ.get("WEB_CONCURRENCY", "1")), 1)
    except ValueError:
        return 1


@register(deploy=True)
def rate_limits_are_shared(app_configs, **kwargs):
    """The rating page's per-address limit counts in Django's cache; a process-local cache counts per process.

    A Warning only when the environment says there are several web processes (WEB_CONCURRENCY > 1,
    which gunicorn reads as its worker count): one process counting alone counts right, and CI checks
    the production settings without any REDIS_URL. Otherwise an Info, which ``--fail-level WARNING``
    lets through, so a reader of the check's output still sees it.
    """
    backend = settings.CACHES[getattr(settings, "RATELIMIT_USE_CACHE", "default")]["BACKEND"]
    if backend not in PROCESS_LOCAL_CACHES:
        return []
    processes = web_processes()
    if processes > 1:
        return [
            CheckWarning(
                _(
                    "WEB_CONCURRENCY is %(n)d but no REDIS_URL is set: each of the %(n)d processes would count "
                    "the rating page's per-address limit on its own, letting through %(n)d times as many."
                )
                % {"n": processes},
                hint=_("Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) so that every process counts in one cache."),
                id="hezuo.W004",
            )
        ]
    return [
        Info(
            _("No REDIS_URL: rate limits are counted in this process's memory, right only for a single process."),
            hint=_("Set REDIS_URL before running several web processes or servers."),
            id="hezuo.I004",
        )
    ]
