"""The provider history page: every term with its rating, renewal, rectification, red lines, exit and documents,
and every exclusion; the track record on the provider's pages and on the panel's seat when it applies again."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import IssuedDocument, Role
from evaluations import services
from evaluations.models import RectificationOrder
from procurement import services as procurement_services
from procurement.models import Criterion, Declaration
from tests.contract_builders import active_contract
from tests.factories import ServiceProjectFactory, staff
from tests.final_builders import EXCELLENT_TERM, POOR_TERM, at, final_evaluation, term_contract

pytestmark = pytest.mark.django_db


def page(client, provider):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("evaluations:provider_history", args=[provider.pk]))
    return response, response.content.decode() if response.status_code == 200 else ""


def document_links(body: str) -> list[str]:
    return re.findall(r'href="(/documents/[^"]+)"', body)


def red_line_order(roles, contract, day: date, text: str) -> RectificationOrder:
    with time_machine.travel(at(day), tick=False):
        line = services.red_line_record(
            actor=roles["evaluator"], contract=contract, category="charging", occurred_on=day, description=text
        )
    return RectificationOrder.objects.get(red_line=line)


@pytest.fixture
def history(roles, wenshang, django_capture_on_commit_callbacks):
    """Provider A's two terms at Wenshang: 2025 rated 优秀 and renewed; 2026 rated 差 after a red line
    whose order failed, so it exited and is excluded for a year."""
    admin, user = roles["admin"], roles["provider_a"]
    provider = user.provider
    with django_capture_on_commit_callbacks(execute=True):
        excellent = final_evaluation(
            palace=wenshang,
            provider=provider,
            provider_user=user,
            admin=admin,
            term=EXCELLENT_TERM,
            panel_points=Decimal("90"),
            starts_on=date(2025, 1, 1),
        )
    renewal = services.final_renew(actor=admin, evaluation=excellent, now=at(date(2025, 12, 20)))

    contract = term_contract(
        palace=wenshang, provider=provider, provider_user=user, admin=admin, term=POOR_TERM, starts_on=date(2026, 1, 1)
    )
    with django_capture_on_commit_callbacks(execute=True):  # the rectification notice is issued on commit
        order = red_line_order(roles, contract, date(2026, 3, 10), "向参训职工收取资料费每人 50 元")
    services.orders_fail_overdue(at(order.deadline + timedelta(days=1)))
    with django_capture_on_commit_callbacks(execute=True):
        poor = final_evaluation(
            palace=wenshang,
            provider=provider,
            provider_user=user,
            admin=admin,
            contract=contract,
            panel_points=Decimal("20"),
            second_admin=staff(wenshang, Role.ADMIN, "t-ws-admin2"),
        )
    order.refresh_from_db()
    return {
        "provider": provider,
        "excellent": excellent,
        "renewal": renewal,
        "poor": poor,
        "order": order,
        "exit": poor.contract.exit,
    }


def test_every_term_with_its_rating_renewal_rectification_exit_and_documents(roles, history, client_for):
    excellent, poor, renewal, order = history["excellent"], history["poor"], history["renewal"], history["order"]
    assert (excellent.rating, poor.rating, order.state) == ("excellent", "poor", "failed")
    until = history["exit"].exclusion.ends_on
    with time_machine.travel(at(until - timedelta(days=100)), tick=False):  # the exclusion is in force
        response, body = page(client_for(roles["admin"]), history["provider"])
    assert response.status_code == 200
    # Three terms, newest first: the exited 2026 term, the renewal (a draft, also from 2026-01-01, drafted
    # before it), the 2025 term.
    terms = (poor.contract, renewal, excellent.contract)
    positions = [body.index(f'id="term-{c.pk}"') for c in terms]
    assert positions == sorted(positions) and all(c.number in body for c in terms)
    assert f"{excellent.total:.2f} points" in body and f"{poor.total:.2f} points" in body
    assert f"Renewed as {renewal.number} from 2026-01-01" in body
    assert f"Renewal of {excellent.contract.number}, without re-tender" in body
    # The 2026 term's order, failed, and its red line; the exit and the exclusion it brought.
    assert order.number in body and "1 failed" in body and "向参训职工收取资料费每人 50 元" in body
    assert body.count(f"Excluded from 汶上县工人文化宫's recruitments until {until:%Y-%m-%d}.") == 2  # banner, term
    assert "In force" in body
    # The documents: both assessment reports and the rectification notice, each downloadable from here.
    reports = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.ASSESSMENT_REPORT)
    notice = IssuedDocument.objects.get(kind=IssuedDocument.Kind.RECTIFICATION_NOTICE)
    for doc in [*reports, notice]:
        assert reverse("document_download", args=[doc.pk]) in body
    assert len(reports) == 2


def test_each_reader_is_offered_only_the_documents_it_may_download(roles, history, client_for):
    """The provider and the auditor get both assessment reports and the exit notice; the palace's evaluator
    (not on the final panel) only the rectification notice, which goes with the contract's orders. Every
    link downloads."""
    for role, reports in (("provider_a", 3), ("auditor", 3), ("evaluator", 0)):
        client = client_for(roles[role])
        response, body = page(client, history["provider"])
        assert response.status_code == 200 and history["poor"].contract.number in body
        links = document_links(body)
        assert len(links) == reports + 1, role
        for link in links:
            assert client.get(link).status_code == 200, (role, link)


def test_queries_do_not_grow_with_the_terms(
    roles, wenshang, history, client_for, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client = client_for(roles["admin"])
    page(client, history["provider"])  # caches warmed (content types, the session)
    with CaptureQueriesContext(connection) as three_terms:
        page(client, history["provider"])
    provider, user = history["provider"], roles["provider_a"]
    today = timezone.localdate()
    for _ in range(4):  # four more terms, each with an order and its notice
        contract = active_contract(
            palace=wenshang, provider=provider, provider_user=user, admin=roles["admin"], starts_on=today.replace(day=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            red_line_order(roles, contract, today, "未按课表授课")
    with django_assert_max_num_queries(len(three_terms)):
        response, body = page(client, provider)
    assert body.count('<section class="hz-term') == 7


def test_the_provider_and_the_staff_reach_it_from_their_pages(roles, history, client_for):
    provider = history["provider"]
    url = reverse("evaluations:provider_history", args=[provider.pk])
    for role, where in (
        ("admin", reverse("procurement:provider_detail", args=[provider.pk])),
        ("provider_a", reverse("portal:organisation")),
    ):
        body = client_for(roles[role]).get(where).content.decode()
        assert url in body, role
        assert f"{history['excellent'].total:.2f}" in body and "track-record" in body
    # Provider B's own page links to its own history, not A's.
    body = client_for(roles["provider_b"]).get(reverse("portal:organisation")).content.decode()
    assert url not in body
    assert reverse("evaluations:provider_history", args=[roles["provider_b"].provider.pk]) in body


def test_the_panel_sees_an_applicants_record_when_it_applies_again(
    roles, wenshang, foshan, client_for, django_capture_on_commit_callbacks
):
    """Provider A's earlier term was at Foshan; it applies to Wenshang, whose evaluator sits on the panel."""
    admin, provider = roles["admin"], roles["provider_a"].provider
    with django_capture_on_commit_callbacks(execute=True):
        final = final_evaluation(
            palace=foshan,
            provider=provider,
            provider_user=roles["provider_a"],
            admin=roles["other_admin"],
            term=EXCELLENT_TERM,
            panel_points=Decimal("90"),
            starts_on=date(2025, 1, 1),
        )
    opened = timezone.now() - timedelta(days=30)
    recruitment = procurement_services.recruitment_create(
        actor=admin,
        project=ServiceProjectFactory(palace=wenshang, created_by=admin),
        title="职工技能培训服务招募",
        deadline=opened + timedelta(days=14),
        panel_size=3,
        criteria=[
            procurement_services.CriterionInput("服务方案", Decimal(80)),
            procurement_services.CriterionInput("报价", Decimal(20), Criterion.Kind.PRICE),
        ],
    )
    procurement_services.recruitment_publish(actor=admin, recruitment=recruitment, now=opened)
    for i, role in enumerate(("provider_a", "provider_b")):
        procurement_services.application_submit(
            actor=roles[role],
            recruitment=recruitment,
            proposal="服务方案",
            price=Decimal(90000 + 1000 * i),
            now=opened + timedelta(days=1),
        )
    procurement_services.recruitment_close(recruitment=recruitment, now=recruitment.deadline + timedelta(minutes=1))
    evaluator = roles["evaluator"]
    seat = procurement_services.panel_assign(
        actor=admin,
        recruitment=recruitment,
        evaluators=[evaluator, staff(wenshang, Role.EVALUATOR), staff(wenshang, Role.EVALUATOR)],
    )[0]
    history_url = reverse("evaluations:provider_history", args=[provider.pk])
    client = client_for(evaluator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    seat_page = reverse("procurement:panel_task", args=[seat.pk])

    # Before declaring, the seat shows no applicant's record, and the history is closed to the evaluator.
    assert history_url not in client.get(seat_page, follow=True).content.decode()
    assert client.get(history_url).status_code == 403

    procurement_services.panel_declare(
        actor=evaluator,
        member=seat,
        conflicts={a.pk: (Declaration.Conflict.NONE, "") for a in procurement_services.valid_applications(recruitment)},
    )
    body = client.get(seat_page, follow=True).content.decode()
    assert "Applicants&#x27; track records" in body and history_url in body
    assert f"{final.total:.2f}" in body
    # The Foshan term travels with the provider: its rating and dates, not Foshan's contract pages or PDFs.
    response, body = page(client, provider)
    assert response.status_code == 200
    assert final.contract.number in body and f"{final.total:.2f} points" in body and "佛山市工人文化宫" in body
    assert reverse("contracts:contract_detail", args=[final.contract.pk]) not in body
    assert not document_links(body)
