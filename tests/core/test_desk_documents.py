"""The desk's documents table and its ZIP download (core/desk_documents.py, core/views_desk_zip.py)."""

import csv
import hashlib
import io
import zipfile
from datetime import datetime
from urllib.parse import unquote

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from core import documents, views_desk_zip
from core.documents import DOCUMENT_TZ, document_issue
from core.models import IssuedDocument
from core.registry import object_url
from core.views_desk_zip import safe_stem

from ..factories import ProviderFactory, UserFactory

TABLE = reverse("desk:table", args=["documents"])
ZIP = reverse("desk:documents_zip")
Kind = IssuedDocument.Kind


@pytest.fixture(autouse=True)
def quick_render(monkeypatch):
    """A stand-in renderer (the layout is not under test): a PDF-like file of some kilobytes,
    different for each document, so byte-for-byte comparisons mean something."""

    def fake(template_name, context):
        code = context["verification_code"].encode()
        return b"%PDF-1.7\n% " + code + b"\n" + hashlib.sha256(code).digest() * 400 + b"\n%%EOF\n"

    monkeypatch.setattr(documents, "render_pdf", fake)


def issue(
    provider, title: str, *, kind: str = Kind.PROVIDER_CERTIFICATE, when: datetime | None = None, actor=None
) -> IssuedDocument:
    doc = document_issue(
        actor=actor,
        kind=kind,
        subject=provider,
        palace=provider.palace,
        title=title,
        template="core/pdf/base.html",
        context={},
    )
    if when is not None:
        IssuedDocument.objects.filter(pk=doc.pk).update(issued_at=when.replace(tzinfo=DOCUMENT_TZ))
        doc.refresh_from_db()
    return doc


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, 30, tzinfo=DOCUMENT_TZ)


@pytest.fixture
def docs(roles, foshan):
    """Three documents at Wenshang (two assessment reports, of 2026 and 2025, and a certificate), one at Foshan."""
    provider = roles["provider_a"].provider
    fs_provider = ProviderFactory(palace=foshan, verified=True, name="佛山市禅城区社工服务中心")
    return {
        "report_2026": issue(
            provider,
            f"终期评估报告（HT-2026-001 {provider.name}）",
            kind=Kind.ASSESSMENT_REPORT,
            when=at(2026, 3, 5),
            actor=roles["admin"],
        ),
        "report_2025": issue(
            provider, f"终期评估报告（HT-2025-007 {provider.name}）", kind=Kind.ASSESSMENT_REPORT, when=at(2025, 12, 20)
        ),
        "certificate": issue(
            provider, f"服务机构登记核验证明（{provider.name}）", when=at(2026, 1, 10), actor=roles["admin"]
        ),
        "foshan": issue(fs_provider, f"服务机构登记核验证明（{fs_provider.name}）", when=at(2026, 2, 1)),
    }


def rows(response) -> list:
    return list(response.context["table"].page.object_list.data)


def open_zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def manifest(archive: zipfile.ZipFile) -> list[list[str]]:
    data = archive.read("manifest.csv")
    assert data.startswith("\ufeff".encode())  # Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the table -----------------------------------------------------------------------------------


def test_auditor_sees_the_palaces_documents_and_links_to_download_and_verify(docs, roles, client_for):
    response = client_for(roles["auditor"]).get(TABLE)
    assert response.status_code == 200
    assert {d.pk for d in rows(response)} == {docs["report_2026"].pk, docs["report_2025"].pk, docs["certificate"].pk}
    html = response.content.decode()
    cert = docs["certificate"]
    assert reverse("document_download", args=[cert.pk]) in html
    assert reverse("verify_document", args=[cert.pk.hex]) in html
    assert f'title="{cert.sha256}"' in html  # the whole hash on hover, a short one shown
    assert f'#{cert.chain_seq} <span class="hz-mono hz-small" title="{cert.chain_hash}">' in html  # its anchor
    assert roles["admin"].full_name in html
    assert reverse("procurement:provider_detail", args=[roles["provider_a"].provider.pk]) in html
    with translation.override("zh-hans"):
        assert gettext(Kind.ASSESSMENT_REPORT.label) in html


def test_auditor_of_another_palace_sees_none_of_them_in_table_csv_or_zip(docs, roles, client_for):
    client = client_for(roles["other_auditor"])
    response = client.get(TABLE)
    assert [d.pk for d in rows(response)] == [docs["foshan"].pk]
    body = client.get(TABLE, {"_export": "csv"}).getvalue().decode("utf-8-sig")
    assert docs["foshan"].sha256 in body
    for key in ("report_2026", "report_2025", "certificate"):
        assert docs[key].sha256 not in body
        assert docs[key].title not in body
    names = open_zip(client.get(ZIP)).namelist()
    assert len(names) == 2 and "manifest.csv" in names
    # Searching for a Wenshang document by its hash, or naming Wenshang's palace, finds nothing of it.
    response = client.get(ZIP, {"q": docs["certificate"].sha256})
    assert response.status_code == 302
    assert messages_of(response)
    names = open_zip(client.get(ZIP, {"palace": roles["auditor"].memberships.get().palace_id})).namelist()
    assert len(names) == 2


def test_search_finds_title_hash_prefix_and_printed_code(docs, roles, client_for):
    client = client_for(roles["auditor"])
    cert = docs["certificate"]
    grouped = " ".join(cert.pk.hex.upper()[i : i + 4] for i in range(0, 32, 4))
    for q in ("HT-2026", cert.sha256, cert.sha256[:12].upper(), grouped):
        found = {d.pk for d in rows(client.get(TABLE, {"q": q}))}
        expected = {docs["report_2026"].pk} if q == "HT-2026" else {cert.pk}
        assert found == expected, q


def test_date_range_and_kind_narrow_the_rows(docs, roles, client_for):
    client = client_for(roles["auditor"])
    in_2026 = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    assert {d.pk for d in rows(client.get(TABLE, in_2026))} == {docs["report_2026"].pk, docs["certificate"].pk}
    assessments = {"status": Kind.ASSESSMENT_REPORT}
    assert {d.pk for d in rows(client.get(TABLE, assessments))} == {docs["report_2026"].pk, docs["report_2025"].pk}
    assert [d.pk for d in rows(client.get(TABLE, in_2026 | assessments))] == [docs["report_2026"].pk]


def test_issue_day_is_counted_in_beijing_time(roles, client_for):
    # 2026-01-01 01:00 in Beijing is still 2025-12-31 in UTC.
    doc = issue(roles["provider_a"].provider, "跨年证明（甲）", when=datetime(2026, 1, 1, 1, 0))
    found = rows(client_for(roles["auditor"]).get(TABLE, {"date_from": "2026-01-01", "date_to": "2026-01-01"}))
    assert [d.pk for d in found] == [doc.pk]


def test_palace_filter_for_someone_of_two_palaces(docs, roles, foshan, wenshang, client_for):
    root = UserFactory(username="t-root", is_superuser=True)
    client = client_for(root)
    assert len(rows(client.get(TABLE))) == 4
    assert [d.pk for d in rows(client.get(TABLE, {"palace": foshan.pk}))] == [docs["foshan"].pk]
    names = open_zip(client.get(ZIP, {"palace": wenshang.pk})).namelist()
    assert len(names) == 4  # three PDFs and the manifest


def test_newest_first_and_sortable_by_title(docs, roles, client_for):
    client = client_for(roles["auditor"])
    assert [d.pk for d in rows(client.get(TABLE))] == [
        docs["report_2026"].pk,
        docs["certificate"].pk,
        docs["report_2025"].pk,
    ]
    titles = [d.title for d in rows(client.get(TABLE, {"sort": "title"}))]
    assert titles == sorted(titles)


def test_csv_export_has_readable_kinds_and_neutralised_titles(roles, client_for):
    provider = roles["provider_a"].provider
    issue(provider, '=HYPERLINK("http://x","y")', kind=Kind.EXIT_NOTICE)
    with translation.override("zh-hans"):
        label = gettext(Kind.EXIT_NOTICE.label)
    body = client_for(roles["auditor"]).get(TABLE, {"_export": "csv"}).getvalue().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[1][0] == '\'=HYPERLINK("http://x","y")'
    assert label in lines[1]
    assert "—" not in body


def test_the_zip_button_carries_the_filter(docs, roles, client_for):
    response = client_for(roles["auditor"]).get(
        TABLE, {"status": Kind.ASSESSMENT_REPORT, "date_from": "2026-01-01", "page": "1"}
    )
    zip_url = response.context["zip_url"]
    assert zip_url.startswith(ZIP) and "status=assessment_report" in zip_url and "date_from=2026-01-01" in zip_url
    assert "page=" not in zip_url
    assert zip_url.replace("&", "&amp;") in response.content.decode()


def test_no_zip_button_when_nothing_matches(docs, roles, client_for):
    response = client_for(roles["auditor"]).get(TABLE, {"q": "没有这样的文件"})
    assert 'data-testid="documents-zip"' not in response.content.decode()


def test_every_subject_with_a_page_links_to_it_through_what_its_app_registered():
    pages = {
        "procurement.Provider": "procurement:provider_detail",
        "procurement.Recruitment": "procurement:recruitment_detail",
        "evaluations.RectificationOrder": "evaluations:order",
        "evaluations.FinalEvaluation": "evaluations:final_detail",
        "evaluations.Exit": "evaluations:exit_detail",
    }
    for label, name in pages.items():
        assert object_url(label, "1") == reverse(name, args=[1])
    assert object_url("evaluations.PeriodScore", "1") == ""  # a monthly summary's subject: no page of its own


def test_first_page_queries_do_not_grow_with_rows(roles, client_for):
    provider = roles["provider_a"].provider
    client = client_for(roles["auditor"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TABLE).status_code == 200
        return len(queries)

    for n in range(2):
        issue(provider, f"证明（{n}）", actor=roles["admin"])
    client.get(TABLE)  # warm caches (content types, sessions) outside the comparison
    two = count()
    for n in range(2, 20):
        issue(provider, f"证明（{n}）", actor=roles["admin"])
    assert count() == two


# --- the ZIP -------------------------------------------------------------------------------------


def test_zip_holds_exactly_the_filtered_documents_byte_for_byte(docs, roles, client_for, wenshang):
    """Every assessment report of 2026 at Wenshang."""
    response = client_for(roles["auditor"]).get(
        ZIP, {"status": Kind.ASSESSMENT_REPORT, "date_from": "2026-01-01", "date_to": "2026-12-31"}
    )
    archive = open_zip(response)
    doc = docs["report_2026"]
    pdfs = [n for n in archive.namelist() if n != "manifest.csv"]
    assert pdfs == [f"{doc.title}-v1.pdf"]  # Chinese, as the title reads
    with doc.file.open("rb") as stored:
        assert archive.read(pdfs[0]) == stored.read()
    info = archive.getinfo(pdfs[0])
    assert info.flag_bits & 0x800  # names flagged as UTF-8, so unzip tools read them as Chinese
    assert info.compress_type == zipfile.ZIP_STORED
    assert (info.external_attr >> 16) & 0o777 == 0o644  # readable once unzipped
    assert info.date_time == (2026, 3, 5, 10, 30, 0)
    assert archive.testzip() is None
    disposition = unquote(response["Content-Disposition"])
    assert wenshang.name in disposition and disposition.endswith(".zip")


def test_manifest_lists_name_hash_kind_object_time_and_verification(docs, roles, client_for):
    archive = open_zip(client_for(roles["auditor"]).get(ZIP))
    header, *lines = manifest(archive)
    assert len(header) == 6 and len(lines) == 3
    with translation.override("zh-hans"):
        yes = gettext("yes")
        labels = {k: gettext(k.label) for k in Kind}
    by_name = {line[0]: line for line in lines}
    assert set(by_name) == set(archive.namelist()) - {"manifest.csv"}
    for key in ("report_2026", "report_2025", "certificate"):
        doc = docs[key]
        name, sha256, kind, subject, issued_at, verified = by_name[f"{doc.title}-v{doc.version}.pdf"]
        assert sha256 == doc.sha256 == hashlib.sha256(archive.read(name)).hexdigest()
        assert kind == labels[doc.kind]
        assert subject in doc.title and subject.startswith(("HT-", roles["provider_a"].provider.name))
        assert datetime.fromisoformat(issued_at) == doc.issued_at
        assert issued_at.endswith("+08:00")
        assert verified == yes


def test_hostile_titles_become_safe_names_and_neutralised_cells(roles, client_for):
    provider = roles["provider_a"].provider
    # (Each is the next version of the same kind for the same subject.)
    for title in ("../../etc/passwd", '=HYPERLINK("http://x","y")', "a/b\\c:d", "  .隐藏\u202efdp.exe\x07", "CON"):
        issue(provider, title)
    archive = open_zip(client_for(roles["auditor"]).get(ZIP))
    names = [n for n in archive.namelist() if n != "manifest.csv"]
    assert sorted(names) == sorted(
        ["etc_passwd-v1.pdf", "=HYPERLINK(_http___x_,_y_)-v2.pdf", "a_b_c_d-v3.pdf", "隐藏fdp.exe-v4.pdf", "CON-v5.pdf"]
    )
    for name in names:
        assert not name.startswith((".", "/", " ")) and ".." not in name
        assert not set(name) & set('<>:"/\\|?*') and "\u202e" not in name and "\x07" not in name
    cells = [line[0] for line in manifest(archive)[1:]]
    assert "'=HYPERLINK(_http___x_,_y_)-v2.pdf" in cells
    subjects = [line[3] for line in manifest(archive)[1:]]
    assert '\'=HYPERLINK("http://x","y")' in subjects


def test_same_titles_are_numbered_and_long_titles_shortened(roles, client_for):
    provider = roles["provider_a"].provider
    for _n in range(3):
        issue(provider, "月度小结", kind=Kind.MONTHLY_SUMMARY, actor=None)  # versions 1, 2, 3
    other = ProviderFactory(palace=provider.palace, verified=True)
    issue(other, "月度小结", kind=Kind.MONTHLY_SUMMARY)  # another subject: the same title, also version 1
    issue(ProviderFactory(palace=provider.palace, verified=True), "月度小结", kind=Kind.MONTHLY_SUMMARY)
    issue(provider, "长" * 199)
    names = open_zip(client_for(roles["auditor"]).get(ZIP)).namelist()
    assert {
        "月度小结-v1.pdf",
        "月度小结-v1 (2).pdf",
        "月度小结-v1 (3).pdf",
        "月度小结-v2.pdf",
        "月度小结-v3.pdf",
    } <= set(names)
    long = next(n for n in names if n.startswith("长"))
    assert len(long.encode()) < 255 and long.endswith("-v1.pdf")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("终期评估报告（HT-2026-001 汶上县心理学会）", "终期评估报告（HT-2026-001 汶上县心理学会）"),
        ("a\tb\nc", "a b c"),
        ("...", "document"),
        ("", "document"),
        ("文" * 300, "文" * 60),  # 180 bytes of UTF-8: three a character
        ("a" * 300, "a" * 120),
    ],
)
def test_safe_stem(title, expected):
    assert safe_stem(title) == expected


def test_altered_or_missing_file_is_flagged_in_the_manifest(docs, roles, client_for):
    altered, missing = docs["report_2026"], docs["certificate"]
    with open(altered.file.path, "r+b") as handle:
        handle.seek(12)
        handle.write(b"X")
    missing.file.storage.delete(missing.file.name)
    archive = open_zip(client_for(roles["auditor"]).get(ZIP))
    with translation.override("zh-hans"):
        yes, no, gone = gettext("yes"), gettext("no"), gettext("file missing")
    verdicts = {line[1]: (line[0], line[5]) for line in manifest(archive)[1:]}
    assert verdicts[altered.sha256] == (f"{altered.title}-v1.pdf", no)
    assert verdicts[missing.sha256] == ("", gone)
    assert verdicts[docs["report_2025"].sha256][1] == yes
    assert len(archive.namelist()) == 3  # two PDFs and the manifest


def test_nothing_to_download_goes_back_to_the_table_with_a_message(docs, roles, client_for):
    response = client_for(roles["auditor"]).get(ZIP, {"q": "没有这样的文件"})
    assert response.status_code == 302
    assert response["Location"].startswith(TABLE) and "q=" in response["Location"]
    with translation.override("zh-hans"):
        assert messages_of(response) == [gettext("No documents match the filter, so there is nothing to download.")]


def test_too_many_documents_ask_for_a_narrower_filter(docs, roles, client_for, monkeypatch):
    monkeypatch.setattr(views_desk_zip, "MAX_ZIP_DOCUMENTS", 2)
    client = client_for(roles["auditor"])
    response = client.get(ZIP)
    assert response.status_code == 302 and response["Location"] == TABLE
    (message,) = messages_of(response)
    assert "3" in message and "2" in message
    assert open_zip(client.get(ZIP, {"status": Kind.ASSESSMENT_REPORT})).namelist()  # two: allowed


def test_invalid_filter_gives_no_zip(docs, roles, client_for):
    response = client_for(roles["auditor"]).get(ZIP, {"date_from": "not-a-date"})
    assert response.status_code == 302
    assert messages_of(response)


def test_zip_is_a_get_only_read(docs, roles, client_for):
    assert client_for(roles["admin"]).post(ZIP).status_code == 405
    assert client_for(roles["auditor"]).post(ZIP).status_code == 403  # an auditor POSTs nothing at all


def test_zip_queries_do_not_grow_with_documents(roles, client_for):
    provider = roles["provider_a"].provider
    client = client_for(roles["auditor"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            b"".join(client.get(ZIP).streaming_content)
        return len(queries)

    for n in range(2):
        issue(provider, f"证明（{n}）")
    count()
    two = count()
    for n in range(2, 20):
        issue(provider, f"证明（{n}）")
    assert count() == two


# --- every issued PDF downloads from its record's page, for the palace's auditor ---------------------


def linked(client, page: str, doc: IssuedDocument) -> bool:
    response = client.get(page)
    assert response.status_code == 200, page
    return reverse("document_download", args=[doc.pk]) in response.content.decode()


def test_provider_page_offers_its_certificate(roles, client_for):
    from procurement.documents import issue_provider_certificate

    provider = roles["provider_a"].provider
    doc = issue_provider_certificate(actor=roles["admin"], provider=provider)
    page = reverse("procurement:provider_detail", args=[provider.pk])
    assert linked(client_for(roles["auditor"]), page, doc)
    assert client_for(roles["auditor"]).get(reverse("document_download", args=[doc.pk])).status_code == 200


def test_recruitment_page_offers_its_tender_report(wenshang, roles, client_for):
    from tests.recruitment_builders import Stage, build_recruitment

    recruitment = build_recruitment(Stage.DRAFT, palace=wenshang).recruitment
    doc = document_issue(
        actor=None,
        kind=Kind.TENDER_REPORT,
        subject=recruitment,
        palace=wenshang,
        title="评审报告（测试）",
        template="core/pdf/base.html",
        context={},
    )
    page = reverse("procurement:recruitment_detail", args=[recruitment.pk])
    assert linked(client_for(roles["auditor"]), page, doc)


def test_order_and_contract_pages_offer_the_notice_and_the_monthly_summary(
    roles, wenshang, client_for, django_capture_on_commit_callbacks
):
    import time_machine

    from evaluations import services
    from evaluations.models import RectificationOrder
    from evaluations.standing.summaries import close_periods
    from tests.contract_builders import active_contract

    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=datetime(2026, 1, 1),
    )
    with time_machine.travel(at(2026, 4, 8), tick=False), django_capture_on_commit_callbacks(execute=True):
        line = services.red_line_record(
            actor=roles["evaluator"],
            contract=contract,
            category="charging",
            occurred_on=datetime(2026, 4, 7).date(),
            description="向参训职工收取资料费",
        )
    close_periods(at(2026, 5, 16))
    order = RectificationOrder.objects.get(red_line=line)
    notice = IssuedDocument.objects.get(kind=Kind.RECTIFICATION_NOTICE)
    summary = IssuedDocument.objects.get(kind=Kind.MONTHLY_SUMMARY)
    client = client_for(roles["auditor"])
    assert linked(client, reverse("evaluations:order", args=[order.pk]), notice)
    assert linked(client, reverse("contracts:contract_detail", args=[contract.pk]), summary)


def test_final_evaluation_and_exit_pages_offer_the_report_and_the_exit_notice(
    roles, wenshang, client_for, django_capture_on_commit_callbacks
):
    from tests.final_builders import POOR_TERM, final_evaluation

    with django_capture_on_commit_callbacks(execute=True):
        evaluation = final_evaluation(
            palace=wenshang,
            provider=roles["provider_a"].provider,
            provider_user=roles["provider_a"],
            admin=roles["admin"],
            term=POOR_TERM,
        )
    report = IssuedDocument.objects.get(kind=Kind.ASSESSMENT_REPORT)
    notice = IssuedDocument.objects.get(kind=Kind.EXIT_NOTICE)
    client = client_for(roles["auditor"])
    assert linked(client, reverse("evaluations:final_detail", args=[evaluation.pk]), report)
    assert linked(client, reverse("evaluations:exit_detail", args=[evaluation.exit.pk]), notice)
