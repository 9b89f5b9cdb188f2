"""Exit (退出合作): terminate, withhold, exclude, re-tender, hand over — and only once.

The exits here are opened through the services: after a final rating of 差 (the final
evaluation itself is a stand-in row, final and rated 差: its services are driven in the
final-evaluation tests and the Wenshang story) and after an early termination decided on
a termination review reached through real rectification orders.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from contracts import services as contract_services
from contracts.models import Contract, Milestone
from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, Notification
from evaluations import services
from evaluations.exit import services as exit_services
from evaluations.final.signals import final_changed
from evaluations.models import (
    Exit,
    FinalEvaluation,
    FinalRating,
    FinalWeights,
    HandoverItem,
    RectificationOrder,
    TerminationReview,
)
from procurement import services as procurement_services
from procurement.models import Exclusion, Recruitment
from procurement.services.applying import ERR_EXCLUDED
from procurement.services.retender import RETENDER_MARK, RETENDER_PUBLISHED_SUBJECT
from tests.contract_builders import active_contract
from tests.factories import evidence_for, provider_user
from tests.procurement.applying_support import all_documents
from tests.recruitment_builders import RecruitmentBuilder, Stage

REASON = "终期评价为差（52.40 分），经两名管理员确认，终止合作。"


def zh(message, **params) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        text = str(message)
        return text % params if params else text


def poor_final(contract: Contract) -> FinalEvaluation:
    """Stands in for a final evaluation that ended in 差 (its own services are tested elsewhere)."""
    now = timezone.now()
    return FinalEvaluation.objects.create(
        contract=contract,
        state=FinalEvaluation.State.FINAL,
        opened_at=now - timedelta(days=30),
        proposed_total=Decimal("52.40"),
        proposed_rating=FinalRating.POOR,
        total=Decimal("52.40"),
        rating=FinalRating.POOR,
        finalised_at=now,
        outcome=FinalEvaluation.Outcome.EXITED,
    )


@pytest.fixture
def contract(roles, wenshang):
    """Provider A's contract at Wenshang, in force, its first payment released."""
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
def exited(roles, contract) -> Exit:
    return services.exit_open(
        actor=roles["admin"], contract=contract, reason=REASON, final_evaluation=poor_final(contract)
    )


def awarded_contract():
    """A contract drafted from a real award, signed and accepted: its re-tender has an old recruitment."""
    built = RecruitmentBuilder(applicants=3, evaluators=3).advance_to(Stage.AWARDED)
    contract = Contract.objects.get(recruitment=built.recruitment)
    contract_services.contract_sign(actor=built.admin, contract=contract)
    winner = built.provider_users[built.providers.index(contract.provider)]
    contract_services.contract_accept(actor=winner, contract=contract)
    contract.refresh_from_db()
    return built, contract, winner


def review_to_decide(roles, contract: Contract) -> TerminationReview:
    """Two failed rectification orders in the term (one not resolved, one unanswered): a review opens."""
    evaluator, today = roles["evaluator"], timezone.localdate()
    first = RectificationOrder.objects.get(
        red_line=services.red_line_record(
            actor=evaluator,
            contract=contract,
            category="charging",
            occurred_on=today,
            description="向参训职工收取资料费每人 50 元",
        )
    )
    services.order_respond(
        actor=roles["provider_a"],
        order=first,
        evidence=evidence_for(first),
        responses={f.pk: "已退还" for f in first.findings.all()},
    )
    services.order_reinspect(
        actor=evaluator, order=first, outcomes={f.pk: ("not_resolved", "未见退款凭证") for f in first.findings.all()}
    )
    second = RectificationOrder.objects.get(
        red_line=services.red_line_record(
            actor=evaluator, contract=contract, category="absent", occurred_on=today, description="连续两周未按计划开课"
        )
    )
    services.orders_fail_overdue(
        timezone.make_aware(datetime.combine(second.deadline + timedelta(days=1), datetime.min.time()))
    )
    return TerminationReview.objects.get(contract=contract)


def written() -> dict:
    return {
        "exits": Exit.objects.count(),
        "exclusions": Exclusion.objects.count(),
        "recruitments": Recruitment.objects.count(),
        "handover": HandoverItem.objects.count(),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "withheld": Milestone.objects.filter(withheld_at__isnull=False).count(),
        "terminated": Contract.objects.filter(state=Contract.State.TERMINATED).count(),
    }


# --- the exit's effects ---------------------------------------------------------------------------


def test_an_exit_after_a_poor_rating_terminates_withholds_excludes_retenders_and_opens_the_handover(
    roles, wenshang, contract
):
    sent = []

    def follow(sender, evaluation, **kwargs):
        sent.append(evaluation.pk)

    final_changed.connect(follow)
    evaluation = poor_final(contract)
    try:
        exit_ = services.exit_open(actor=roles["admin"], contract=contract, reason=REASON, final_evaluation=evaluation)
    finally:
        final_changed.disconnect(follow)
    today = timezone.localdate()

    contract.refresh_from_db()
    assert contract.state == Contract.State.TERMINATED
    assert contract.end_reason == REASON and contract.ended_at == exit_.created_at
    assert (exit_.final_evaluation, exit_.termination_review, exit_.created_by) == (evaluation, None, roles["admin"])
    assert sorted(exit_.handover_items.values_list("kind", flat=True)) == sorted(HandoverItem.Kind.values)

    withheld = exit_.withheld_milestone
    assert withheld.position == 3 and withheld.withheld_at == exit_.created_at and REASON in withheld.withheld_reason
    assert contract.milestones.get(position=1).released_at is not None  # what was paid stays paid
    assert contract.milestones.get(position=2).withheld_at is None

    exclusion = exit_.exclusion
    assert (exclusion.provider, exclusion.palace) == (contract.provider, wenshang)
    assert (exclusion.starts_on, exclusion.ends_on) == (today, exit_services.exclusion_end(today, 1))
    assert contract.number in exclusion.reason and "差" in exclusion.reason

    retender = exit_.retender
    assert retender.state == Recruitment.State.DRAFT and retender.project == contract.project
    assert retender.title.endswith(zh(RETENDER_MARK)) and retender.deadline is None

    event = AuditEvent.objects.get(action="exit.opened")
    assert event.object_id == str(exit_.pk) and event.before["state"] == Contract.State.ACTIVE
    assert event.after["state"] == Contract.State.TERMINATED and event.after["retender"] == retender.number
    assert event.after["exclusion"]["ends_on"] == exclusion.ends_on.isoformat()
    assert event.after["withheld_milestone"]["position"] == 3

    for user in (roles["provider_a"], roles["admin"]):
        note = Notification.objects.get(recipient=user, url=reverse("evaluations:exit_detail", args=[exit_.pk]))
        assert contract.number in note.subject
        assert REASON in note.body and exclusion.ends_on.isoformat() in note.body
    assert not Notification.objects.filter(recipient=roles["provider_b"], subject__contains=contract.number).exists()
    assert sent == [evaluation.pk]


def test_the_retender_is_drafted_from_the_contracts_recruitment(db):
    built, contract, _winner = awarded_contract()
    old = built.recruitment
    exit_ = services.exit_open(
        actor=built.admin, contract=contract, reason=REASON, final_evaluation=poor_final(contract)
    )
    retender = exit_.retender
    assert retender.reissue_of == old and retender.title == old.title + zh(RETENDER_MARK)
    assert [(c.name, c.max_points, c.kind) for c in retender.criteria.all()] == [
        (c.name, c.max_points, c.kind) for c in old.criteria.all()
    ]
    assert (retender.eligibility, retender.budget_ceiling, retender.panel_size) == (
        old.eligibility,
        old.budget_ceiling,
        old.panel_size,
    )
    assert (
        AuditEvent.objects.get(action="recruitment.retender_drafted").after["excluded_provider"]
        == contract.provider.name
    )


def test_the_exclusion_lasts_the_palaces_configured_years(roles, wenshang, contract):
    FinalWeights.objects.create(palace=wenshang, exclusion_years=3)
    exit_ = services.exit_open(
        actor=roles["admin"], contract=contract, reason=REASON, final_evaluation=poor_final(contract)
    )
    assert exit_.exclusion.ends_on == exit_services.exclusion_end(timezone.localdate(), 3)
    assert exit_.exclusion.ends_on.year == timezone.localdate().year + 3


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2096, 12, 31)), years=st.integers(1, 3))
def test_an_exclusion_ends_on_the_same_calendar_day_years_later(day, years):
    end = exit_services.exclusion_end(day, years)
    assert end.year == day.year + years and end.month == day.month
    assert end.day == day.day or (day.month, day.day, end.day) == (2, 29, 28)


def test_an_exit_on_29_february_ends_the_exclusion_on_28_february(roles, contract):
    with time_machine.travel(datetime(2028, 2, 29, 10, 0, tzinfo=timezone.get_current_timezone()), tick=False):
        exit_ = services.exit_open(
            actor=roles["admin"], contract=contract, reason=REASON, final_evaluation=poor_final(contract)
        )
    assert (exit_.exclusion.starts_on, exit_.exclusion.ends_on) == (date(2028, 2, 29), date(2029, 2, 28))


# --- refused, with nothing written --------------------------------------------------------------------


def test_an_exit_run_twice_is_refused_and_writes_nothing(roles, contract, exited):
    before = written()
    with pytest.raises(DomainError) as refused:
        services.exit_open(
            actor=roles["admin"], contract=contract, reason="再次退出", final_evaluation=exited.final_evaluation
        )
    assert str(refused.value) == zh(
        exit_services.ERR_ALREADY_EXITED,
        number=contract.number,
        date=f"{timezone.localdate(exited.created_at):%Y-%m-%d}",
    )
    assert written() == before


@pytest.mark.parametrize("case", ["no_reason", "no_cause", "two_causes", "not_poor", "not_admin", "other_palace"])
def test_a_refused_exit_writes_nothing(roles, contract, case):
    evaluation = poor_final(contract)
    kwargs = {"actor": roles["admin"], "contract": contract, "reason": REASON, "final_evaluation": evaluation}
    expected = None
    if case == "no_reason":
        kwargs["reason"], expected = "   ", exit_services.ERR_EXIT_REASON
    elif case == "no_cause":
        kwargs["final_evaluation"], expected = None, exit_services.ERR_CAUSE
    elif case == "two_causes":
        kwargs["termination_review"] = TerminationReview(pk=1, contract=contract, decision="terminate")
        expected = exit_services.ERR_CAUSE
    elif case == "not_poor":
        FinalEvaluation.objects.filter(pk=evaluation.pk).update(rating=FinalRating.PASS)
        evaluation.refresh_from_db()
        expected = exit_services.ERR_CAUSE_NOT_POOR
    else:
        kwargs["actor"] = roles["auditor"] if case == "not_admin" else roles["other_admin"]
    before = written()
    with pytest.raises(NotPermitted if expected is None else DomainError) as refused:
        services.exit_open(**kwargs)
    if expected is not None:
        assert str(refused.value) == zh(expected)
    assert written() == before
    contract.refresh_from_db()
    assert contract.state == Contract.State.ACTIVE


def test_a_failure_half_way_rolls_the_whole_exit_back(roles, contract, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the re-tender could not be drafted")

    monkeypatch.setattr(exit_services, "recruitment_retender_draft", broken)
    evaluation = poor_final(contract)
    before = written()
    with pytest.raises(RuntimeError):
        services.exit_open(actor=roles["admin"], contract=contract, reason=REASON, final_evaluation=evaluation)
    assert written() == before
    contract.refresh_from_db()
    assert contract.state == Contract.State.ACTIVE and contract.end_reason == ""
    assert not contract.milestones.filter(withheld_at__isnull=False).exists()


# --- the withheld milestone -----------------------------------------------------------------------------


def test_a_withheld_milestone_cannot_be_released(roles, contract, exited, client_for):
    milestone = exited.withheld_milestone
    message = zh(
        contract_services.ERR_WITHHELD,
        date=f"{timezone.localdate(milestone.withheld_at):%Y-%m-%d}",
        reason=milestone.withheld_reason,
    )
    assert contract_services.milestone_problem(milestone) == message
    with pytest.raises(DomainError) as refused:
        contract_services.milestone_release(actor=roles["admin"], milestone=milestone)
    assert str(refused.value) == message
    milestone.refresh_from_db()
    assert (
        milestone.released_at is None
        and not AuditEvent.objects.filter(action="milestone.released", object_id=str(milestone.pk)).exists()
    )
    # The contract page shows it withheld, with the reason, and the exit's section linking to the exit.
    page = client_for(roles["admin"]).get(reverse("contracts:contract_detail", args=[contract.pk])).content.decode()
    assert milestone.withheld_reason in page
    assert reverse("evaluations:exit_detail", args=[exited.pk]) in page


# --- the re-tender, published; the excluded provider refused -----------------------------------------------


def test_the_excluded_provider_is_refused_by_the_published_retender_and_another_applies(roles, contract, exited):
    admin, retender = roles["admin"], exited.retender
    terms = procurement_services.recruitment_terms(retender)
    del terms["project"]
    procurement_services.recruitment_update(
        actor=admin,
        recruitment=retender,
        **terms | {"title": retender.title, "deadline": timezone.now() + timedelta(days=20)},
    )
    procurement_services.recruitment_publish(actor=admin, recruitment=retender)
    retender.refresh_from_db()
    assert retender.state == Recruitment.State.PUBLISHED
    told = Notification.objects.filter(subject=zh(RETENDER_PUBLISHED_SUBJECT, title=retender.title))
    assert told.filter(recipient=roles["provider_b"]).exists() and told.filter(recipient=roles["auditor"]).exists()
    assert not told.filter(recipient=roles["provider_a"]).exists()  # excluded: it cannot apply

    exclusion = exited.exclusion
    with pytest.raises(DomainError) as refused:
        procurement_services.application_submit(
            actor=roles["provider_a"],
            recruitment=retender,
            price=Decimal("90000"),
            proposal="请求再次合作",
            files=all_documents(retender),
        )
    assert str(refused.value) == zh(ERR_EXCLUDED, until=exclusion.ends_on.isoformat(), reason=exclusion.reason)
    assert exclusion.ends_on.isoformat() in str(refused.value)
    application = procurement_services.application_submit(
        actor=roles["provider_b"],
        recruitment=retender,
        price=Decimal("90000"),
        proposal="每月四场培训",
        files=all_documents(retender),
    )
    assert list(retender.applications.all()) == [application]


# --- early termination ------------------------------------------------------------------------------------


def test_an_early_termination_goes_through_the_same_exit(roles, contract):
    review = review_to_decide(roles, contract)
    services.termination_decide(
        actor=roles["admin"], review=review, decision="terminate", reason="同一合作期内两次整改不合格，提前终止合作。"
    )
    contract.refresh_from_db()
    exit_ = Exit.objects.get(contract=contract)
    assert contract.state == Contract.State.TERMINATED
    assert (exit_.termination_review, exit_.final_evaluation) == (review, None)
    assert exit_.reason == contract.end_reason == "同一合作期内两次整改不合格，提前终止合作。"
    assert Exclusion.objects.filter(provider=contract.provider, palace=contract.palace).get() == exit_.exclusion
    assert "early termination" in exit_.exclusion.reason or "提前" in exit_.exclusion.reason
    assert exit_.retender.state == Recruitment.State.DRAFT and exit_.handover_items.count() == 4
    assert exit_.withheld_milestone.position == 3


def test_continuing_after_a_termination_review_changes_nothing_else(roles, contract):
    review = review_to_decide(roles, contract)
    state = Contract.objects.get(pk=contract.pk).state
    before = {k: v for k, v in written().items() if k not in ("audit", "notifications")}
    services.termination_decide(
        actor=roles["admin"], review=review, decision="continue", reason="已约谈机构负责人，给予最后一次整改机会。"
    )
    assert {k: v for k, v in written().items() if k not in ("audit", "notifications")} == before
    assert Contract.objects.get(pk=contract.pk).state == state
    assert not Exit.objects.exists() and not Exclusion.objects.exists()


def test_a_termination_that_cannot_exit_is_not_recorded_either(roles, contract, exited):
    """The exit refuses (the contract already exited), and the decision it belongs to rolls back with it."""
    review = TerminationReview.objects.create(contract=contract, opened_at=timezone.now())
    with pytest.raises(DomainError):
        services.termination_decide(actor=roles["admin"], review=review, decision="terminate", reason="再次终止")
    review.refresh_from_db()
    assert review.decision == "" and review.decided_at is None


# --- the handover -------------------------------------------------------------------------------------------


def _item(exit_: Exit, kind: str) -> HandoverItem:
    return exit_.handover_items.get(kind=kind)


def test_the_handover_is_complete_when_both_sides_confirmed_every_item(roles, exited):
    provider, admin = roles["provider_a"], roles["admin"]
    colleague = provider_user(roles["provider_a"].provider)
    notes = {
        "participants": "参训职工名册 312 人（纸质 2 册、电子表格 1 份）",
        "keys": "钥匙 6 把、门禁卡 2 张",
        "equipment": "投影仪 1 台、音箱 2 只",
        "sessions": "未完成课程 3 节，已移交课程表",
    }
    for n, (kind, note) in enumerate(notes.items()):
        services.handover_confirm(actor=provider if n % 2 else colleague, item=_item(exited, kind), note=note)
    exited.refresh_from_db()
    assert exited.handover_completed_at is None
    keys = _item(exited, "keys")
    assert keys.note == notes["keys"] and keys.provider_confirmed_by == provider
    # The palace confirms the provider's record; a remark is added under its name.
    for kind in ("participants", "equipment", "sessions"):
        services.handover_confirm(actor=admin, item=_item(exited, kind))
    exited.refresh_from_db()
    assert exited.handover_completed_at is None
    services.handover_confirm(actor=admin, item=keys, note="门禁卡已注销")
    keys.refresh_from_db()
    assert keys.note.startswith(notes["keys"]) and keys.note.endswith("门禁卡已注销")
    exited.refresh_from_db()
    assert exited.handover_completed_at == keys.palace_confirmed_at
    assert AuditEvent.objects.filter(action="handover.confirmed").count() == 8
    assert AuditEvent.objects.filter(action="exit.handover_completed", object_id=str(exited.pk)).count() == 1
    for user in (provider, admin):
        assert (
            Notification.objects.filter(
                recipient=user,
                url=reverse("evaluations:exit_detail", args=[exited.pk]),
                subject__contains=exited.contract.number,
            ).count()
            >= 2
        )


def test_the_palace_may_confirm_first_and_the_first_confirmation_records_what_was_handed_over(roles, exited):
    item = _item(exited, "keys")
    with pytest.raises(DomainError) as refused:
        services.handover_confirm(actor=roles["admin"], item=item, note="  ")
    assert str(refused.value) == zh(exit_services.ERR_HANDOVER_NOTE)
    services.handover_confirm(actor=roles["admin"], item=item, note="已收回钥匙 6 把")
    services.handover_confirm(actor=roles["provider_a"], item=item)
    item.refresh_from_db()
    assert item.note == "已收回钥匙 6 把" and item.provider_confirmed_at and item.palace_confirmed_at


def test_a_side_confirms_an_item_once(roles, exited):
    item = _item(exited, "equipment")
    services.handover_confirm(actor=roles["provider_a"], item=item, note="投影仪 1 台")
    colleague = provider_user(roles["provider_a"].provider)
    before = written()
    with pytest.raises(DomainError) as refused:
        services.handover_confirm(actor=colleague, item=item, note="再次确认")
    item.refresh_from_db()
    assert str(refused.value) == zh(
        exit_services.ERR_ALREADY_CONFIRMED,
        item=item.get_kind_display(),
        date=f"{timezone.localdate(item.provider_confirmed_at):%Y-%m-%d}",
    )
    assert item.note == "投影仪 1 台" and written() == before


def test_a_remark_that_would_overflow_the_record_is_refused(roles, exited):
    item = _item(exited, "equipment")
    services.handover_confirm(actor=roles["provider_a"], item=item, note="设" * 450)
    with pytest.raises(DomainError) as refused:
        services.handover_confirm(actor=roles["admin"], item=item, note="备注" * 30)
    assert str(refused.value) == zh(exit_services.ERR_NOTE_TOO_LONG, max=500)
    item.refresh_from_db()
    assert item.note == "设" * 450 and item.palace_confirmed_at is None


@pytest.mark.parametrize("who", ["provider_b", "evaluator", "auditor", "other_admin"])
def test_only_the_exited_provider_and_the_palaces_administrators_confirm(roles, exited, who):
    item = _item(exited, "participants")
    with pytest.raises(NotPermitted):
        services.handover_confirm(actor=roles[who], item=item, note="名册")
    item.refresh_from_db()
    assert item.provider_confirmed_at is None and item.palace_confirmed_at is None and item.note == ""


# --- the pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "evaluator", "auditor", "provider_a"])
def test_the_exit_page_tells_each_reader_what_happened(roles, client_for, exited, who):
    page = client_for(roles[who]).get(reverse("evaluations:exit_detail", args=[exited.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert REASON in html and exited.exclusion.ends_on.strftime("%Y-%m-%d") in html
    assert exited.retender.number in html and "36,000" in html  # the withheld 30% of ¥120,000
    for kind in HandoverItem.Kind.values:
        assert f'id="item-{kind}"' in html
    forms = html.count('name="note"')
    assert forms == (4 if who in ("admin", "provider_a") else 0)
    # Staff open the re-tender's draft; the provider does not see the palace's draft.
    draft_url = reverse("procurement:recruitment_detail", args=[exited.retender.pk])
    assert (draft_url in html) == (who != "provider_a")


@pytest.mark.parametrize("who", ["provider_b", "other_admin", "other_auditor"])
def test_the_exit_page_is_refused_to_others(roles, client_for, exited, who):
    assert client_for(roles[who]).get(reverse("evaluations:exit_detail", args=[exited.pk])).status_code == 403


def test_confirming_on_the_page(roles, client_for, exited):
    url = reverse("evaluations:handover_confirm", args=[exited.pk])
    provider = client_for(roles["provider_a"])
    empty = provider.post(url, {"kind": "keys", "note": ""})
    assert empty.status_code == 200 and "has-error" in empty.content.decode()
    assert _item(exited, "keys").provider_confirmed_at is None
    done = provider.post(url, {"kind": "keys", "note": "钥匙 6 把"})
    assert done.status_code == 302 and done["Location"].endswith("#item-keys")
    again = provider.post(url, {"kind": "keys", "note": "钥匙 6 把"}, follow=True)
    assert (
        zh(
            exit_services.ERR_ALREADY_CONFIRMED,
            item=_item(exited, "keys").get_kind_display(),
            date=f"{timezone.localdate():%Y-%m-%d}",
        )
        in again.content.decode()
    )
    assert client_for(roles["auditor"]).post(url, {"kind": "keys", "note": "x"}).status_code == 403
    assert client_for(roles["admin"]).post(url, {"kind": "keys"}).status_code == 302
    item = _item(exited, "keys")
    assert item.provider_confirmed_by == roles["provider_a"] and item.palace_confirmed_by == roles["admin"]
