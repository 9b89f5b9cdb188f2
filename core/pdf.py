"""The one PDF renderer: Django template → HTML → WeasyPrint, through a fetcher that reads nothing outside the app.

A document's HTML may carry text that users typed (an organisation's name, a
file name, a reason). WeasyPrint would happily fetch whatever URL such text
smuggles in (``file:///etc/passwd`` as an image, ``http://169.254.169.254/``
as a stylesheet) and print it. So the fetcher serves only ``data:`` URLs and
the app's own static files, and refuses everything else.
"""

import logging
import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# A made-up origin (".invalid" never resolves) that stands for the app's static
# files. It is the document's base URL, so "/static/x.css" and "x.css" both
# resolve under it, and the fetcher maps it onto the staticfiles finders
# without any network or arbitrary file-system access.
STATIC_ORIGIN = "https://static.hezuo.invalid"

# Issued documents are Chinese official papers whatever language the issuer's
# browser asked for.
DOCUMENT_LANGUAGE = "zh-hans"


class PdfResourceRefused(ValueError):
    """A document asked for a resource outside ``data:`` URLs and the app's static files."""


def _static_prefix() -> str:
    path = urlsplit(settings.STATIC_URL or "/static/").path or "/static/"
    return path if path.endswith("/") else path + "/"


def base_url() -> str:
    return STATIC_ORIGIN + _static_prefix()


def _relative_static_path(url: str) -> str | None:
    """The static file's relative name when ``url`` points into the app's static files, else None."""
    prefixes = [STATIC_ORIGIN + _static_prefix()]
    if settings.STATIC_URL and urlsplit(settings.STATIC_URL).scheme:
        prefixes.append(settings.STATIC_URL)  # a CDN-style absolute STATIC_URL
    clean = url.split("#", 1)[0].split("?", 1)[0]
    for prefix in prefixes:
        if clean.startswith(prefix):
            return unquote(clean[len(prefix) :])
    return None


def _safe_static_name(name: str, url: str) -> str:
    # Refuse rather than normalise: a path that needs normalising was written to escape.
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or any(part in {"", ".", ".."} for part in name.split("/"))
        or posixpath.normpath(name) != name
    ):
        raise PdfResourceRefused(f"Refused static path outside the app's static files: {url}")
    return name


def _find_static(name: str, url: str) -> Path:
    try:
        found = finders.find(name)
        if not found and hasattr(staticfiles_storage, "path"):
            # Collected (possibly hashed) names, as {% static %} writes them in production.
            candidate = staticfiles_storage.path(name)
            found = candidate if Path(candidate).is_file() else None
    except SuspiciousFileOperation as exc:
        raise PdfResourceRefused(f"Refused static path: {url}") from exc
    except NotImplementedError:  # remote storage: only the finders count
        found = None
    if isinstance(found, list):
        found = found[0] if found else None
    if not found or not Path(found).is_file():
        raise PdfResourceRefused(f"No such static file: {url}")
    return Path(found)


class SafeURLFetcher(URLFetcher):
    """WeasyPrint's fetcher, narrowed to ``data:`` URLs and the app's own static files.

    Anything else raises ``PdfResourceRefused``; WeasyPrint logs it and leaves
    the resource out, so a hostile URL in user text renders as nothing.
    """

    def __init__(self):
        # allowed_protocols is a second lock: even the parent's fetch serves data: only.
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)

    def fetch(self, url, headers=None):
        name = _relative_static_path(url)
        if name is not None:
            path = _find_static(_safe_static_name(name, url), url)
            mime, _ = mimetypes.guess_type(path.name)
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime or "application/octet-stream"})
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        logger.warning("PDF resource refused: %.200s", url)
        raise PdfResourceRefused(f"Refused resource outside the app: {url[:200]}")


def lay_out(html: str) -> Document:
    """Lay ``html`` out in pages. Only ``data:`` URLs and the app's static files are fetched.

    Apart from ``html_to_pdf`` so that tests can look at the boxes of a real document's pages.
    """
    return HTML(string=html, base_url=base_url(), url_fetcher=SafeURLFetcher()).render()


def html_to_pdf(html: str) -> bytes:
    """Lay out ``html`` as a PDF. Only ``data:`` URLs and the app's static files are fetched."""
    return lay_out(html).write_pdf()


def signoff_lines(name: str) -> list[str]:
    """The issuing unit's name as the 落款 prints it: a long name goes on two lines, broken before its
    parenthesis ("汶上县总工会职工服务中心" / "（汶上县工人文化宫）") rather than wherever the line ends."""
    cut = name.find("（")
    if len(name) <= 12 or cut <= 0:
        return [name]
    return [name[:cut], name[cut:]]


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a Django template to PDF bytes, in the documents' language."""
    palace = context.get("palace")
    if palace is not None and "signoff_lines" not in context:
        context = {**context, "signoff_lines": signoff_lines(palace.name)}
    with translation.override(DOCUMENT_LANGUAGE):
        html = render_to_string(template_name, context)
    return html_to_pdf(html)
