import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdf
import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.utils import timezone
from weasyprint import HTML

from core import checks
from core.pdf import PdfResourceRefused, SafeURLFetcher, base_url, html_to_pdf, render_pdf
from core.qr import qr_svg, qr_svg_data_uri

HOSTNAME_FILE = Path("/etc/hostname")
LEAK_MARKER = "LEAKEDSECRETMARKER"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def pdf_font_names(data: bytes) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.fixture
def secret_css(tmp_path) -> Path:
    """A local file that would print LEAK_MARKER if a document managed to load it as a stylesheet."""
    path = tmp_path / "secret.css"
    path.write_text(f'body::after {{ content: "{LEAK_MARKER}"; }}', encoding="utf-8")
    return path


@pytest.fixture
def http_server():
    """A local web server that records every request and serves a stylesheet printing a marker."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            body = f'body::before {{ content: "{LEAK_MARKER}-HTTP"; }}'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def hostile_html(secret_css: Path, http_origin: str) -> str:
    hostname = HOSTNAME_FILE.as_uri()
    return f"""<html><head>
      <link rel="stylesheet" href="{secret_css.as_uri()}">
      <link rel="stylesheet" href="{http_origin}/evil.css">
      <link rel="attachment" href="{hostname}">
      <style>
        @import url({hostname});
        @import url({secret_css.as_uri()});
        @import url({http_origin}/imported.css);
        @font-face {{ font-family: Evil; src: url({hostname}); }}
        p {{ background: url({http_origin}/bg.png); }}
      </style></head>
      <body>
        <p>正文</p>
        <img src="{hostname}"><img src="{http_origin}/pixel.png"><img src="ftp://127.0.0.1/x.png">
        <a rel="attachment" href="{hostname}">附件</a>
        <object data="{hostname}" type="text/plain"></object>
      </body></html>"""


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "FILE:///etc/hostname",
        "http://127.0.0.1/",
        "https://example.com/logo.png",
        "ftp://127.0.0.1/x.png",
        "gopher://127.0.0.1/",
        "https://static.hezuo.invalid/media/documents/x.pdf",
        "https://static.hezuo.invalid/static/hezuo/%2e%2e/%2e%2e/%2e%2e/config/settings/base.py",
        "https://static.hezuo.invalid/static/..%2F..%2Fmanage.py",
        "https://static.hezuo.invalid/static/hezuo/../../manage.py",
        "https://static.hezuo.invalid/static/%2Fetc%2Fhostname",
        "https://static.hezuo.invalid/static/hezuo/missing.css",
    ],
)
def test_fetcher_refuses_anything_but_data_and_static_files(url):
    fetcher = SafeURLFetcher()
    with pytest.raises(PdfResourceRefused):
        fetcher.fetch(url)
    with pytest.raises(PdfResourceRefused):
        fetcher(url)


def test_fetcher_refusal_is_a_value_error():
    assert issubclass(PdfResourceRefused, ValueError)


def test_fetcher_never_contacts_a_web_server(http_server):
    origin, requests = http_server
    with pytest.raises(PdfResourceRefused):
        SafeURLFetcher().fetch(f"{origin}/evil.css")
    assert requests == []


def test_fetcher_serves_the_apps_static_files():
    expected = Path(finders.find("hezuo/hezuo.css")).read_bytes()
    for url in (base_url() + "hezuo/hezuo.css", "https://static.hezuo.invalid/static/hezuo/hezuo.css"):
        response = SafeURLFetcher().fetch(url)
        assert response.read() == expected
        assert response.content_type == "text/css"


def test_fetcher_serves_data_urls():
    response = SafeURLFetcher().fetch("data:text/plain;base64,5ZCI5L2c")
    assert response.read().decode() == "合作"


def test_document_with_hostile_urls_prints_none_of_their_content(secret_css, http_server):
    origin, requests = http_server
    pdf = html_to_pdf(hostile_html(secret_css, origin))
    text = pdf_text(pdf)
    assert "正文" in text
    assert LEAK_MARKER not in text
    hostname = HOSTNAME_FILE.read_text().strip()
    assert hostname and hostname not in text
    assert pypdf.PdfReader(io.BytesIO(pdf)).attachments == {}
    assert requests == []


def test_the_same_document_would_leak_through_weasyprints_default_fetcher(secret_css, http_server):
    # The control: without the safe fetcher the hostile page really does read local and remote files.
    origin, requests = http_server
    pdf = HTML(string=hostile_html(secret_css, origin)).write_pdf()
    text = pdf_text(pdf)
    assert LEAK_MARKER in text
    assert f"{LEAK_MARKER}-HTTP" in text
    assert pypdf.PdfReader(io.BytesIO(pdf)).attachments
    assert requests


def test_static_stylesheet_and_data_image_are_used_in_a_document():
    png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkAAIAAAoAAv/lxKUAAAAASUVORK5CYII="
    pdf = html_to_pdf(
        f'<html><head><link rel="stylesheet" href="/static/hezuo/hezuo.css"></head>'
        f'<body><p>静态资源</p><img src="{png}" style="width:10mm"></body></html>'
    )
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert "静态资源" in reader.pages[0].extract_text()
    assert reader.pages[0].images  # the data: PNG was embedded


def letterhead_context(wenshang) -> dict:
    url = "http://testserver/verify/0123456789abcdef0123456789abcdef/"
    return {
        "palace": wenshang,
        "title": "测试文件",
        "version": 1,
        "issued_at": timezone.now(),
        "verification_code": "0123456789abcdef0123456789abcdef",
        "verification_code_display": "0123 4567 89AB CDEF 0123 4567 89AB CDEF",
        "verification_url": url,
        "qr_data_uri": qr_svg_data_uri(url),
    }


def test_letterhead_prints_chinese_in_cjk_fonts_with_page_numbers(wenshang):
    pdf = render_pdf("core/pdf/base.html", letterhead_context(wenshang))
    text = pdf_text(pdf)
    for expected in (
        "汶上县总工会",
        "汶上县工人文化宫",
        "测试文件",
        "第 1 页 共 1 页",
        "0123 4567 89AB CDEF",
        "http://testserver/verify/0123456789abcdef0123456789abcdef/",
    ):
        assert expected in text
    fonts = pdf_font_names(pdf)
    assert fonts and all("CJK-SC" in name for name in fonts)


def test_long_table_repeats_its_header_on_every_page(wenshang):
    template = Template(
        '{% extends "core/pdf/base.html" %}{% block content %}<table><thead><tr><th>表头序号</th>'
        "<th>内容</th></tr></thead><tbody>{% for i in rows %}<tr><td>{{ i }}</td><td>第{{ i }}行</td></tr>"
        "{% endfor %}</tbody></table>{% endblock %}"
    )
    html = template.render(Context(letterhead_context(wenshang) | {"rows": range(1, 90)}))
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(html_to_pdf(html))).pages]
    table_pages = [text for text in pages if re.search(r"第\d+行", text)]
    assert len(table_pages) >= 2
    assert all("表头序号" in text for text in table_pages)
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 共 {len(pages)} 页" in text


def test_qr_code_is_svg_in_both_forms():
    url = "http://testserver/verify/0123456789abcdef0123456789abcdef/"
    assert qr_svg(url).startswith("<svg")
    assert qr_svg_data_uri(url).startswith("data:image/svg+xml")


def test_cjk_font_check_warns_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(checks, "cjk_font_families", lambda: [])
    warnings = checks.cjk_font_installed(None)
    assert [w.id for w in warnings] == ["hezuo.W001"]


def test_cjk_font_check_is_silent_when_a_cjk_font_is_installed(monkeypatch):
    monkeypatch.setattr(checks, "cjk_font_families", lambda: ["Noto Serif CJK SC"])
    assert checks.cjk_font_installed(None) == []


def test_this_machine_has_the_fonts_documents_use():
    assert "Noto Serif CJK SC" in checks.cjk_font_families()
    assert checks.cjk_font_installed(None) == []
