"""The exit notice (退出合作通知书), read back as text: issued once when an exit commits, after a final rating
of 差 or an early termination, with the provider, the contract, the cause, the withheld payment, the
exclusion and its end, the handover and the re-tender; and offered wherever the exit is shown."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from pypdf import PdfReader

from contracts import services as contract_services
from core.documents import DOCUMENT_TZ, document_bytes, verification_code_display
from core.models import IssuedDocument, Role
from evaluations import services
from evaluations.exit import services as exit_services
from evaluations.exit.documents import EXIT_TITLE, HANDOVER_LABELS, issue_exit_notice
from evaluations.models import Exit
from tests.contract_builders import active_contract
from tests.evaluations.test_exit import poor_final, review_to_decide
from tests.factories import staff
from tests.final_builders import POOR_TERM, final_evaluation
from tests.threads import run_together

REASON = "终期评价为差（52.40 分），经两名管理员确认，终止合作。"
TERMINATION = "同一合作期内两次整改不合格，提前终止合作。"


def pages_of(document: IssuedDocument) -> list[str]:
    with document.file.open("rb") as handle:
        return [page.extract_text() for page in PdfReader(handle).pages]


def flat(text: str) -> str:
    """The extracted text without the line breaks and spaces a wrapped line picks up."""
    return re.sub(r"\s+", "", text)


def day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def notices() -> list[IssuedDocument]:
    return list(IssuedDocument.objects.filter(kind=IssuedDocument.Kind.EXIT_NOTICE))


def assert_numbered(pages: list[str]) -> None:
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页共{len(pages)}页" in flat(page)


@pytest.fixture
def contract(roles, wenshang):
    """Provider A's contract at Wenshang (¥120,000 in three milestones), in force, the first one paid."""
    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=timezone.localdate().replace(day=1),
    )
    contract_services.milestone_release(actor=roles["admin"], milestone=contract.milestones.get(position=1))
    return contract


@pytest.fixture
def exited(roles, contract, django_capture_on_commit_callbacks) -> Exit:
    with django_capture_on_commit_callbacks(execute=True):
        return services.exit_open(
            actor=roles["admin"], contract=contract, reason=REASON, final_evaluation=poor_final(contract)
        )


def test_an_exit_after_a_poor_rating_issues_its_notice_once_on_commit(roles, wenshang, contract, exited):
    [notice] = notices()
    assert (notice.subject, notice.palace, notice.version, notice.issued_by) == (exited, wenshang, 1, roles["admin"])
    provider = contract.provider
    assert notice.title == f"{EXIT_TITLE}（{contract.number} {provider.name}）"
    pages = pages_of(notice)
    text = flat("".join(pages))
    withheld = exited.withheld_milestone
    assert withheld.amount == Decimal("36000.00")
    for expected in (
        EXIT_TITLE,
        provider.name,
        provider.credit_code,
        contract.number,
        contract.project.name,
        "终期评价得分52.40分，评价等级为差",
        flat(REASON),
        # from when, the withheld payment, the exclusion until when, the re-tender
        day(timezone.localtime(exited.created_at, DOCUMENT_TZ).date()),
        "36,000.00元",
        "不予支付",
        f"至{day(exited.exclusion.ends_on)}前",
        exited.retender.number,
        "已支付",
    ):  # the first milestone, paid before the exit
        assert expected in text, expected
    for label, requirement in HANDOVER_LABELS.values():
        assert label in text and requirement in text
    assert "解除合作协议，签发本通知" in text and str(roles["admin"]) in text
    assert_numbered(pages)
    assert flat(verification_code_display(notice.id)) in text

    # Issued once: a retried or doubled call returns the same document.
    assert issue_exit_notice(exit_=exited) == notice
    assert len(notices()) == 1


def test_a_poor_rating_confirmed_by_a_second_administrator_issues_the_report_and_the_notice(
    roles, wenshang, django_capture_on_commit_callbacks
):
    second = staff(wenshang, Role.ADMIN, "t-ws-admin2")
    second.full_name = "李秀英"
    second.save()
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = final_evaluation(
            palace=wenshang,
            provider=roles["provider_a"].provider,
            provider_user=roles["provider_a"],
            admin=roles["admin"],
            second_admin=second,
            term=POOR_TERM,
            panel_points=Decimal("20"),
        )
    assert evaluation.rating == "poor"
    assert IssuedDocument.objects.filter(kind=IssuedDocument.Kind.ASSESSMENT_REPORT).count() == 1
    [notice] = notices()
    assert notice.subject == evaluation.exit and notice.issued_by == second
    text = flat("".join(pages_of(notice)))
    assert f"终期评价得分{evaluation.total:.2f}分，评价等级为差" in text
    # The trail: signed off by one administrator, confirmed by the other, who ended the contract.
    assert "终期评价审定签发（评价为差）" in text and "复核确认" in text
    assert str(roles["admin"]) in text and "李秀英" in text


def test_an_early_termination_gives_the_decision_and_the_failed_orders(
    roles, contract, django_capture_on_commit_callbacks
):
    review = review_to_decide(roles, contract)
    with django_capture_on_commit_callbacks(execute=True):
        services.termination_decide(actor=roles["admin"], review=review, decision="terminate", reason=TERMINATION)
    exit_ = Exit.objects.get(contract=contract)
    [notice] = notices()
    assert notice.subject == exit_
    pages = pages_of(notice)
    text = flat("".join(pages))
    assert "同一合作期内2次整改不合格，经本单位研究决定提前终止合作" in text
    assert TERMINATION in text and "决定提前终止合作" in text
    for order in review.failed_orders.all():
        assert order.number in text
    assert f"至{day(exit_.exclusion.ends_on)}前" in text and "36,000.00元" in text
    assert "终期评价得分" not in text  # no rating: the term ended early
    assert_numbered(pages)


def test_an_exit_rolled_back_issues_no_notice(roles, contract, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            services.exit_open(
                actor=roles["admin"], contract=contract, reason=REASON, final_evaluation=poor_final(contract)
            )
            raise RuntimeError("the caller's transaction fails after the exit")
    assert not notices() and not Exit.objects.exists()


@pytest.mark.parametrize("who", ["admin", "auditor", "evaluator", "provider_a"])
def test_the_exit_page_offers_the_notice_and_it_downloads_as_issued(roles, client_for, exited, who):
    [notice] = notices()
    client = client_for(roles[who])
    page = client.get(reverse("evaluations:exit_detail", args=[exited.pk])).content.decode()
    url = reverse("document_download", args=[notice.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content]) == document_bytes(notice)


@pytest.mark.parametrize("who", ["provider_b", "other_admin"])
def test_the_notice_is_refused_to_others(roles, client_for, exited, who):
    [notice] = notices()
    assert client_for(roles[who]).get(reverse("document_download", args=[notice.pk])).status_code in (403, 404)


def test_the_contract_page_offers_the_notice_beside_the_exit(roles, client_for, contract, exited):
    [notice] = notices()
    page = client_for(roles["admin"]).get(reverse("contracts:contract_detail", args=[contract.pk]))
    assert page.status_code == 200
    assert reverse("document_download", args=[notice.pk]) in page.content.decode()


def test_the_exit_page_says_the_notice_is_coming_before_it_is_issued(roles, client_for, contract):
    # No commit in this test's transaction, so the notice is not issued yet.
    exit_ = services.exit_open(
        actor=roles["admin"], contract=contract, reason=REASON, final_evaluation=poor_final(contract)
    )
    page = client_for(roles["admin"]).get(reverse("evaluations:exit_detail", args=[exit_.pk])).content.decode()
    assert not notices() and gettext("The exit notice is being prepared.") in page
    assert "/documents/" not in page  # no link to a document that is not there


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_issues_at_once_make_one_notice(roles, contract, monkeypatch):
    # Open the exit without its commit hook, then issue the notice twice at the same moment.
    monkeypatch.setattr(exit_services, "issue_exit_notice", lambda **kwargs: None)
    exit_ = services.exit_open(
        actor=roles["admin"], contract=contract, reason=REASON, final_evaluation=poor_final(contract)
    )
    monkeypatch.undo()
    assert not notices()
    results = run_together(lambda: issue_exit_notice(exit_=exit_), lambda: issue_exit_notice(exit_=exit_))
    assert all(isinstance(r, IssuedDocument) for r in results), results
    assert results[0].pk == results[1].pk
    assert len(notices()) == 1
