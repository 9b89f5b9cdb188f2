"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's sync API.

Playwright never downloads a browser here: it launches the system Chromium
through ``executable_path``. ``scripts/test.sh`` installs that package, so the
browser tests skip only on a machine where it is missing.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop running in this thread, and Django
# refuses ORM calls from a thread with a running loop unless told it is safe.
# It is: the test code itself is synchronous, and the live server has its own thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("HEZUO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # This machine has no network beyond the package registries: keep Chromium from phoning home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    # Keep every browser test on one xdist worker (scripts/test.sh runs --dist loadgroup),
    # so one Chromium serves them all.
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="package")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; make test installs it)")
    from playwright.sync_api import sync_playwright

    # Package scope: Playwright's loop stops once the browser tests are done, so the
    # tests that run after them on this worker see no running loop.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's ``live_server``, started with a string MEDIA_URL.

    Django's LiveServerThread wraps the site in a media-file handler that parses
    settings.MEDIA_URL. Hezuo sets it to None (files are served only through
    permission-checked views), which makes that handler fail on every request. The
    handler reads the setting once, when the server starts, so the override need
    only last that long; the prefix given is one that nothing links to.
    """
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    addr = request.config.getvalue("liveserver") or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    with override_settings(MEDIA_URL="/__live-server-media__/"):
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser_context(chromium):
    # One context for all the tests keeps Chromium's HTTP cache, so viewflow's
    # scripts and styles load once; each test starts with no cookies (open_page).
    # zh-CN is what the palaces' staff send; the UI's default language is zh-hans too.
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def open_page(browser_context, live_server):
    """``open_page(viewport=...)`` → a new page, logged out, in the Chinese UI.

    Every response from the live server with status ≥ 400 is collected in
    ``page.bad_responses`` so a test can assert that no page or asset failed.
    """
    browser_context.clear_cookies()
    pages = []

    def make(viewport=DESKTOP):
        page = browser_context.new_page()
        page.set_viewport_size(viewport)
        page.bad_responses = []

        def record(response):
            if response.url.startswith(live_server.url) and response.status >= 400:
                page.bad_responses.append(f"{response.status} {response.url}")

        page.on("response", record)
        # Confirmations (data-confirm: signing, releasing, submitting) are answered yes, and kept.
        page.confirmations = []

        def confirm(dialog):
            page.confirmations.append(dialog.message)
            dialog.accept()

        page.on("dialog", confirm)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")`` → artifacts/screenshots/name.png, the whole page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
