"""Simplified Chinese is complete, compiled and shown by default; English is one click away.

The msgids are English, so English needs no catalogue. Chinese lives in
locale/zh_Hans/LC_MESSAGES/django.po. After adding or changing a marked string, run

    .venv/bin/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests \\
        --ignore=staticfiles --ignore=media --ignore=artifacts --add-location=file

then translate every new entry and remove every "#, fuzzy" flag (msgmerge guesses
fuzzy translations from similar msgids, and its guesses are usually wrong).
"""

import ast
import fcntl
import hashlib
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.signals import setting_changed

from core.models import User
from procurement.credit_code import ALPHABET, make_credit_code

from .factories import ProviderFactory, ServiceProjectFactory

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
MAKEMESSAGES_IGNORE = [".venv", "tests", "staticfiles", "media", "artifacts"]
MAKEMESSAGES = [
    "makemessages",
    "-l",
    "zh_Hans",
    *(f"--ignore={d}" for d in MAKEMESSAGES_IGNORE),
    "--add-location=file",
]
MAKEMESSAGES_HINT = "python manage.py " + " ".join(MAKEMESSAGES)

# Entries whose translation is rightly the msgid itself.
SAME_IN_CHINESE = {"SHA-256", "PDF"}  # the file format is called PDF in Chinese too


# --- a small .po reader (polib is not a dependency) ------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple:
        return (self.msgctxt, self.msgid, self.msgid_plural)


def read_po(path: Path) -> list[Entry]:
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        lines = [ln for ln in block.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        entry = Entry(msgid="", obsolete=all(ln.startswith("#~") for ln in lines))
        parts: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line.startswith("#~"):
                line = line[2:].strip()
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",")}
                continue
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
            if match:
                current = match.group(1)
                parts[current] = [match.group(2)]
            elif line.startswith('"') and current:
                parts[current].append(line)
        if "msgid" not in parts:
            continue
        text = {k: "".join(ast.literal_eval(s) for s in v) for k, v in parts.items()}
        entry.msgid = text["msgid"]
        entry.msgctxt = text.get("msgctxt")
        entry.msgid_plural = text.get("msgid_plural")
        if entry.msgid_plural is None:
            entry.msgstr = [text.get("msgstr", "")]
        else:
            n = 0
            while f"msgstr[{n}]" in text:
                entry.msgstr.append(text[f"msgstr[{n}]"])
                n += 1
        entries.append(entry)
    return entries


def messages(path: Path = PO) -> list[Entry]:
    """The real entries: no header, no obsolete ones."""
    return [e for e in read_po(path) if e.msgid and not e.obsolete]


def header(path: Path = PO) -> tuple[Entry, dict[str, str]]:
    [head] = [e for e in read_po(path) if e.msgid == "" and not e.obsolete]
    fields = dict(line.split(": ", 1) for line in head.msgstr[0].splitlines() if ": " in line)
    return head, fields


def show(entry: Entry) -> str:
    return repr(entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}|{entry.msgid}")


PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGcou%]")


def placeholders(text: str) -> list[str]:
    return sorted(p for p in PLACEHOLDER.findall(text) if p != "%%")


# --- compiling the catalogue ------------------------------------------------------------------------


def _compile_if_stale() -> bool:
    """Compile django.po into django.mo when the .mo is missing or older; True if it compiled.

    The .mo is not committed. ``make test`` compiles it in bootstrap, but plain ``pytest`` must
    not fail merely because nobody ran compilemessages. Several xdist workers may get here at
    once: a lock serialises them and the .mo is replaced atomically, so no worker reads half a file.
    """
    if not PO.exists():
        return False
    lock_name = f"hezuo-i18n-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:16]}.lock"
    with open(Path(tempfile.gettempdir()) / lock_name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
            return False
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            pytest.fail("msgfmt is missing: install the Debian package gettext (scripts/bootstrap.sh does).")
        fd, tmp = tempfile.mkstemp(dir=MO.parent, prefix=".django.", suffix=".mo")
        os.close(fd)
        try:
            # The same check compilemessages runs, plus the header and domain checks.
            subprocess.run([msgfmt, "--check", "-o", tmp, str(PO)], check=True, capture_output=True, text=True)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; the web server must read it
            os.replace(tmp, MO)
        except subprocess.CalledProcessError as exc:
            pytest.fail(f"msgfmt refused {PO.relative_to(ROOT)}:\n{exc.stderr}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return True


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogue():
    _compile_if_stale()
    # Translations this process loaded before the .mo was (re)compiled, here or by another xdist
    # worker, are stale: drop them, the way Django's own test signal does when LOCALE_PATHS changes.
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=True)
    yield


# --- the catalogue ----------------------------------------------------------------------------------


def test_the_catalogue_exists_and_is_compiled():
    assert PO.exists(), f"{PO.relative_to(ROOT)} is missing; create it with: {MAKEMESSAGES_HINT}"
    assert MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime


def test_header_declares_simplified_chinese_utf8_and_one_plural_form():
    head, fields = header()
    assert "fuzzy" not in head.flags, "the header is still marked fuzzy"
    assert fields["Language"] == "zh_Hans"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = messages()
    assert len(entries) > 100  # a parse that finds nothing must not pass
    untranslated = [show(e) for e in entries if not e.msgstr or not all(s.strip() for s in e.msgstr)]
    fuzzy = [show(e) for e in entries if "fuzzy" in e.flags]
    assert not untranslated, f"untranslated in {PO.relative_to(ROOT)}:\n" + "\n".join(untranslated)
    assert not fuzzy, (
        f"fuzzy (a guess by msgmerge: check it, then delete the flag) in {PO.relative_to(ROOT)}:\n" + "\n".join(fuzzy)
    )


def test_plural_entries_have_exactly_one_form():
    wrong = [show(e) for e in messages() if e.msgid_plural is not None and len(e.msgstr) != 1]
    assert not wrong, "zh has nplurals=1, so these need exactly msgstr[0]:\n" + "\n".join(wrong)


def test_translations_keep_every_placeholder():
    wrong = []
    for e in messages():
        if "python-format" not in e.flags:
            continue  # xgettext flags every string with a %-placeholder; the rest have none
        source = e.msgid_plural if e.msgid_plural is not None else e.msgid
        for msgstr in e.msgstr:
            if placeholders(msgstr) != placeholders(source):
                wrong.append(f"{show(e)}: {placeholders(source)} became {placeholders(msgstr)}")
    assert not wrong, "\n".join(wrong)


def test_no_entry_is_left_in_english():
    same = [show(e) for e in messages() if e.msgstr and e.msgstr[0] == e.msgid and e.msgid not in SAME_IN_CHINESE]
    assert not same, "msgstr is a copy of the English msgid:\n" + "\n".join(same)


def test_msgfmt_check_accepts_the_catalogue():
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt is missing: install the Debian package gettext (scripts/bootstrap.sh does)."
    result = subprocess.run([msgfmt, "--check", "-o", os.devnull, str(PO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


COPY_SKIP_DIRS = {
    *".git .venv venv node_modules locale __pycache__ .hypothesis .ruff_cache .pytest_cache".split(),
    *MAKEMESSAGES_IGNORE,
}
COPY_SKIP_SUFFIXES = tuple(
    ".egg-info .sqlite3 .sqlite3-wal .sqlite3-shm .mo .png .jpg .jpeg .pdf .xlsx .ttf .otf .woff .woff2".split()
)


def _copy_source(target: Path) -> None:
    def ignore(directory, names):
        here = Path(directory)
        return [n for n in names if n.endswith(COPY_SKIP_SUFFIXES) or (n in COPY_SKIP_DIRS and (here / n).is_dir())]

    shutil.copytree(ROOT, target, ignore=ignore, symlinks=True)
    (target / "locale").mkdir()


def test_the_catalogue_holds_every_marked_string_of_the_source(tmp_path):
    """A string marked for translation but missing from django.po would show in English.

    makemessages runs on a copy of the source, so this test never rewrites the real catalogue.
    """
    copy = tmp_path / "src"
    _copy_source(copy)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    fresh = {e.key: e for e in messages(copy / PO.relative_to(ROOT))}
    ours = {e.key: e for e in messages()}
    missing = [show(fresh[k]) for k in fresh.keys() - ours.keys()]
    stale = [show(ours[k]) for k in ours.keys() - fresh.keys()]
    assert not missing, (
        f"marked in the source but missing from {PO.relative_to(ROOT)}; run\n"
        f"  {MAKEMESSAGES_HINT}\nand translate:\n" + "\n".join(sorted(missing))
    )
    assert not stale, (
        f"in {PO.relative_to(ROOT)} but no longer in the source; run\n"
        f"  {MAKEMESSAGES_HINT}\nto drop:\n" + "\n".join(sorted(stale))
    )


# --- the pages ----------------------------------------------------------------------------------------


def text_of(response) -> str:
    """The visible text of a page: no tags, scripts or styles, whitespace collapsed."""
    page = response.content.decode()
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    # Material icons are ligatures: their names are English words that no one reads.
    page = re.sub(r'(?is)<(\w+)\b[^>]*class="[^"]*material-icons[^"]*"[^>]*>.*?</\1>', " ", page)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def html_lang(response) -> str:
    return re.search(r'<html[^>]*\slang="([^"]*)"', response.content.decode()).group(1)


def switch_to(client, language: str, next_url: str = "/") -> None:
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == language


PUBLIC_PAGES = {
    # url: (Chinese it must show, English it must show after switching)
    "/accounts/login/": (["登录", "服务机构登记"], ["Log in", "Register a provider organisation"]),
    "/register/": (
        ["统一社会信用代码", "法定代表人", "登记您的机构", "提交登记"],
        ["Unified social credit code", "Legal representative", "Register your organisation"],
    ),
    "/verify/": (["文件真伪查验", "核验码"], ["Verify a document", "Verification code"]),
}

STAFF_PAGES = {
    "/app/workbench/": (
        ["工作台", "待核验的登记", "服务项目", "项目管理员"],
        ["Workbench", "Registrations to verify", "Service projects", "Administrator"],
    ),
    "/app/procurement/providers/": (
        ["服务机构", "统一社会信用代码", "导出 CSV", "筛选", "已核验"],
        ["Providers", "Unified social credit code", "Export CSV", "Filter", "Verified"],
    ),
    "/app/procurement/projects/": (
        ["服务项目", "新建服务项目", "绩效指标", "预算（元）"],
        ["Service projects", "New service project", "KPI targets", "Budget (CNY)"],
    ),
    "/app/procurement/projects/new/": (
        ["新建服务项目", "服务场次", "目标值"],
        ["New service project", "Sessions delivered", "Target"],
    ),
}


def assert_language(response, language: str, must_show: list[str], must_not_show: list[str]) -> None:
    assert response.status_code == 200
    assert html_lang(response) == language
    assert response.headers["Content-Language"] == language
    text = text_of(response)
    for expected in must_show:
        assert expected in text, f"{response.wsgi_request.path} in {language} should show {expected!r}"
    for unexpected in must_not_show:
        assert unexpected not in text, f"{response.wsgi_request.path} in {language} shows {unexpected!r}"


@pytest.mark.parametrize("url", list(PUBLIC_PAGES))
def test_public_pages_are_chinese_by_default_and_english_after_switching(db, client, wenshang, url):
    chinese, english = PUBLIC_PAGES[url]
    # An English browser still gets Chinese: only the switcher changes the language.
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert_language(response, "zh-hans", chinese, english)

    switch_to(client, "en", url)
    assert_language(client.get(url), "en", english, chinese)

    switch_to(client, "zh-hans", url)
    assert_language(client.get(url), "zh-hans", chinese, english)


@pytest.fixture
def admin_client(roles, wenshang, client_for):
    ProviderFactory(palace=wenshang, name="汶上县普法志愿服务中心")  # awaiting verification
    ServiceProjectFactory(palace=wenshang, name="电子商务培训")
    return client_for(roles["admin"])


@pytest.mark.parametrize("url", list(STAFF_PAGES))
def test_staff_pages_are_chinese_by_default_and_english_after_switching(admin_client, url):
    chinese, english = STAFF_PAGES[url]
    assert_language(
        admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en"),
        "zh-hans",
        chinese,
        english,
    )
    switch_to(admin_client, "en", url)
    assert_language(admin_client.get(url), "en", english, chinese)


LIST_TITLES = {
    "/app/procurement/providers/": ("服务机构", "Providers"),
    "/app/procurement/projects/": ("服务项目", "Service projects"),
}


@pytest.mark.parametrize("url", list(LIST_TITLES))
def test_list_page_titles_follow_the_language(admin_client, url):
    chinese, english = LIST_TITLES[url]
    title = re.compile(r"<title>\s*(.*?)\s*·")
    assert title.search(admin_client.get(url).content.decode()).group(1) == chinese
    switch_to(admin_client, "en", url)
    assert title.search(admin_client.get(url).content.decode()).group(1) == english


def wrong_check_character_code() -> tuple[str, str, str]:
    good = make_credit_code("91370830MA3C4Y5X2")
    wrong = next(c for c in ALPHABET if c != good[-1])
    return good[:-1] + wrong, good[-1], wrong


def test_a_wrong_credit_code_is_refused_in_chinese(db, client, wenshang):
    code, expected, got = wrong_check_character_code()
    response = client.post("/register/", {"palace": wenshang.pk, "name": "汶上县惠民培训学校", "credit_code": code})
    assert response.status_code == 200
    assert "credit_code" in response.context["form"].errors
    # The page as rendered: the form's messages are lazy, and outside the request they would
    # be read in whatever language the test happens to have active.
    assert f"校验码有误：第 18 位应为“{expected}”，而不是“{got}”。请对照营业执照或登记证书核对代码。" in text_of(
        response
    )

    switch_to(client, "en", "/register/")
    response = client.post("/register/", {"palace": wenshang.pk, "credit_code": code})
    assert f"The check character is wrong: the 18th character should be “{expected}”, not “{got}”." in text_of(response)
    assert "校验码有误" not in text_of(response)


# English a Chinese page may rightly contain: the brand, the switcher's "English", file formats.
ALLOWED_ASCII_WORDS = {"Hezuo", "English", "CSV", "XLSX", "PDF", "JPEG", "PNG", "SHA"}


@pytest.mark.parametrize("url", [*PUBLIC_PAGES, *STAFF_PAGES])
def test_chinese_pages_show_no_stray_english(admin_client, client, url):
    page_client = admin_client if url.startswith("/app/") else client
    text = text_of(page_client.get(url))
    users = {name.lower() for name in User.objects.values_list("username", flat=True)}
    text = re.sub(r"[\w.-]+@[\w.-]+", " ", text)  # e-mail addresses
    words = {
        w
        for w in re.findall(r"[A-Za-z]+(?:[_-][A-Za-z]+)*", text)
        if len(w) > 2 and w not in ALLOWED_ASCII_WORDS and w.lower() not in users
    }
    assert not words, f"{url} shows English in Chinese: {sorted(words)}"
