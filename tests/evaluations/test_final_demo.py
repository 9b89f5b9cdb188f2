"""The final-evaluation demo (demo/final.py), seeded by ``seed_demo`` with everything else.

One test, because seeding takes a while: the four stories of 汶上县 are there as the
palace's staff and the providers see them (states, ratings, the exit and its exclusion,
the re-tender draft, the renewal), and the audit chain verifies after the whole demo.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from core.audit import verify_chain
from core.errors import DomainError
from core.models import IssuedDocument, Notification, User
from demo.final import ADJUSTED_TOTAL, RECRUITMENT_DOCUMENTS
from evaluations.exit.services import exclusion_end
from evaluations.models import Appeal, FinalEvaluation, FinalPanelSeat, FinalRating, HandoverItem
from procurement import services as procurement_services
from procurement.models import Exclusion, Recruitment

pytestmark = pytest.mark.django_db

State = FinalEvaluation.State


def evaluation_of(project: str) -> FinalEvaluation:
    return FinalEvaluation.objects.select_related("contract__provider", "contract__project").get(
        contract__palace__code="wenshang", contract__project__name=project, contract__renewal_of__isnull=True
    )


def page(username: str, name: str, *args) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200, (username, name, response.status_code)
    return response.content.decode()


def test_the_final_evaluation_demo_tells_its_four_stories(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    today = timezone.localdate()

    # 1. 差: appealed and upheld, signed off and confirmed by two administrators; the provider exits.
    poor = evaluation_of("职工健康讲座与义诊")
    contract = poor.contract
    assert (poor.state, poor.proposed_rating, poor.rating) == (State.FINAL, FinalRating.POOR, FinalRating.POOR)
    assert poor.total == poor.proposed_total < 60
    assert (poor.red_lines, poor.failed_orders, poor.deduction) == (1, 1, Decimal("5.00"))
    assert (poor.signed_off_by.username, poor.confirmed_by.username) == ("ws-admin", "ws-admin2")
    assert poor.appeal.decision == Appeal.Decision.UPHELD and poor.appeal.reason
    assert poor.outcome == FinalEvaluation.Outcome.EXITED
    assert contract.state == Contract.State.TERMINATED and contract.ended_at and contract.end_reason
    assert contract.provider.name == "汶上县心理学会"
    exit_ = contract.exit
    assert [m.position for m in contract.milestones.filter(released_at__isnull=False)] == [1, 2]
    assert exit_.withheld_milestone.position == 3 and exit_.withheld_milestone.withheld_at
    exclusion = Exclusion.objects.get(provider=contract.provider, palace=contract.palace)
    assert exit_.exclusion == exclusion
    assert (exclusion.starts_on, exclusion.ends_on) == (today, exclusion_end(today, 1))
    # The handover is half done: two items confirmed by both sides, one by the provider only, one not started.
    sides = sorted((bool(i.provider_confirmed_at), bool(i.palace_confirmed_at)) for i in exit_.handover_items.all())
    assert sides == [(False, False), (True, False), (True, True), (True, True)]
    assert exit_.handover_completed_at is None
    assert exit_.handover_items.count() == len(HandoverItem.Kind.values)
    # The re-tender: a draft for the same project, from the old notice, for ws-admin to date and publish.
    old, retender = contract.recruitment, exit_.retender
    assert (retender.state, retender.project, retender.reissue_of, retender.deadline) == (
        Recruitment.State.DRAFT,
        contract.project,
        old,
        None,
    )
    assert old.state == Recruitment.State.AWARDED and old.awarded_application.provider == contract.provider
    assert list(retender.criteria.values_list("name", "max_points", "kind")) == list(
        old.criteria.values_list("name", "max_points", "kind")
    )
    assert list(retender.required_documents.values_list("name", flat=True)) == RECRUITMENT_DOCUMENTS
    assert retender.eligibility == old.eligibility
    assert retender.number in page("ws-admin", "procurement:recruitment_detail", retender.pk)
    # The excluded provider is refused by the recruitment open now, with the end of its exclusion.
    published = Recruitment.objects.get(palace__code="wenshang", state=Recruitment.State.PUBLISHED)
    with pytest.raises(DomainError) as refused:
        procurement_services.application_submit(
            actor=User.objects.get(username="provider1"),
            recruitment=published,
            price=Decimal("30000"),
            proposal="我会申请承接。",
        )
    assert exclusion.ends_on.isoformat() in str(refused.value)
    provider1 = User.objects.get(username="provider1")
    assert Notification.objects.filter(recipient=provider1, subject__contains=contract.number).count() >= 4
    assert page("provider1", "evaluations:exit_detail", exit_.pk)

    # 2. 良好 proposed, adjusted on appeal to 优秀, signed off, the last 30% paid, renewed once.
    excellent = evaluation_of("困难职工家政帮扶服务")
    renewed = excellent.contract
    assert excellent.proposed_rating == FinalRating.GOOD and 80 <= excellent.proposed_total < 90
    assert excellent.appeal.decision == Appeal.Decision.ADJUSTED
    assert excellent.appeal.adjusted_total == excellent.total == ADJUSTED_TOTAL
    assert (excellent.state, excellent.rating, excellent.outcome) == (
        State.FINAL,
        FinalRating.EXCELLENT,
        FinalEvaluation.Outcome.RENEWED,
    )
    assert excellent.confirmed_by is None  # only a 差 needs a second administrator
    assert renewed.state == Contract.State.FINAL_EVALUATION and renewed.ends_on >= today
    assert renewed.milestones.get(position=3).released_at is not None
    renewal = renewed.renewal
    assert (renewal.state, renewal.provider, renewal.project, renewal.amount, renewal.term_months) == (
        Contract.State.DRAFT,
        renewed.provider,
        renewed.project,
        renewed.amount,
        renewed.term_months,
    )
    assert renewal.starts_on == renewed.ends_on + timedelta(days=1)
    assert renewal.signed_at is not None and renewal.accepted_at is None  # the provider is to accept it

    # 3. In its appeal window: proposed today, the deadline ahead, the provider told.
    window = evaluation_of("职工应急救护培训")
    assert (window.state, window.proposed_rating) == (State.PROPOSED, FinalRating.PASS)
    assert window.appeal_deadline > today and not Appeal.objects.filter(evaluation=window).exists()
    provider2 = User.objects.get(username="provider2")
    assert (
        Notification.objects.filter(recipient=provider2, subject__contains=window.contract.number)
        .filter(subject__contains=f"{window.appeal_deadline:%Y-%m-%d}")
        .exists()
    )
    assert f"{window.appeal_deadline:%Y-%m-%d}" in page("provider2", "evaluations:final_detail", window.pk)

    # 4. The panel in progress: one sheet in, one declared, one not started; nothing proposed yet.
    panel = evaluation_of("新就业形态劳动者关爱服务")
    assert (panel.state, panel.proposed_total) == (State.PANEL, None)
    seats = dict(panel.panel.values_list("evaluator__username", "state"))
    S = FinalPanelSeat.State
    assert seats == {"ws-eval1": S.SUBMITTED, "ws-eval3": S.DECLARED, "ws-eval5": S.ASSIGNED}

    # Each story's contract in the administrator's list, and the assessment reports of the two final ratings.
    listed = page("ws-admin", "evaluations:final_list")
    for evaluation in (poor, excellent, window, panel):
        assert evaluation.contract.number in listed
    assert set(
        IssuedDocument.objects.filter(kind=IssuedDocument.Kind.ASSESSMENT_REPORT).values_list("object_id", flat=True)
    ) >= {str(poor.pk), str(excellent.pk)}

    # verify_audit passes after the full demo.
    assert verify_chain().ok
    call_command("verify_audit", verbosity=0)
