"""The re-tender (重新招募): drafted from the old recruitment, reviewed and published by the administrator.

The exit that drafts it is tested in tests/evaluations/test_exit.py; here the procurement
side: what the draft copies, what it leaves for the administrator, who may draft it, and
who is told when it is published.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone, translation

from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, Notification, Role
from procurement import services
from procurement.models import Exclusion, Recruitment, ServiceCategory
from procurement.services.applying import ERR_EXCLUDED
from procurement.services.publishing import ERR_WINDOW, MIN_WINDOW_WORKING_DAYS, publish_problems
from procurement.services.retender import RETENDER_MARK, RETENDER_PUBLISHED_SUBJECT
from tests.contract_builders import draft_contract

from ..factories import ProviderFactory, ServiceProjectFactory, provider_user, staff
from .applying_support import CRITERIA, DOCUMENTS, all_documents, published_recruitment


def zh(message, **params) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        text = str(message)
        return text % params if params else text


def _deadline(days: int = 20):
    return timezone.now() + timedelta(days=days)


def _publish(admin, draft: Recruitment) -> Recruitment:
    """The administrator sets the new deadline (the only thing left blank), then publishes."""
    terms = services.recruitment_terms(draft)
    del terms["project"]
    terms["title"] = draft.title
    services.recruitment_update(actor=admin, recruitment=draft, **terms | {"deadline": _deadline()})
    services.recruitment_publish(actor=admin, recruitment=draft)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def old(roles, wenshang):
    return published_recruitment(roles["admin"], wenshang)


def test_the_retender_is_a_draft_with_the_old_terms_and_no_dates(roles, old):
    draft = services.recruitment_retender_draft(actor=roles["admin"], recruitment=old)

    assert draft.state == Recruitment.State.DRAFT and draft.reissue_of == old
    assert draft.project == old.project and draft.palace_id == old.palace_id
    assert draft.title == old.title + zh(RETENDER_MARK)
    assert (draft.description, draft.eligibility) == (old.description, old.eligibility)
    assert (draft.budget_ceiling, draft.panel_size) == (Decimal("100000.00"), 3)
    assert [(c.name, c.max_points, c.kind, c.description) for c in draft.criteria.all()] == [
        (c.name, c.max_points, c.kind, c.description) for c in CRITERIA
    ]
    assert [d.name for d in draft.required_documents.all()] == list(DOCUMENTS)
    assert draft.deadline is None and draft.opens_at is None and draft.number != old.number
    # Publishing now would be refused, naming the missing window: the administrator sets the dates.
    errors, _warnings = publish_problems(draft, timezone.now())
    assert errors == [zh(ERR_WINDOW, days=0, min=MIN_WINDOW_WORKING_DAYS)]

    event = AuditEvent.objects.get(action="recruitment.retender_drafted")
    assert event.object_id == str(draft.pk) and event.actor == roles["admin"]
    assert event.after["retender_of"] == old.number and len(event.after["criteria"]) == 3
    asked = Notification.objects.get(recipient=roles["admin"], subject__contains=draft.number)
    assert "review" in asked.subject or "审核" in asked.subject
    assert asked.url.endswith(f"/recruitments/{draft.pk}/")


def test_a_second_retender_does_not_repeat_the_mark(roles, old):
    first = services.recruitment_retender_draft(actor=roles["admin"], recruitment=old)
    second = services.recruitment_retender_draft(actor=roles["admin"], recruitment=first)
    assert second.title == first.title and second.reissue_of == first


def test_the_scheduler_drafts_it_in_the_name_of_the_projects_owner(roles, old):
    draft = services.recruitment_retender_draft(actor=None, recruitment=old)
    assert draft.created_by == old.project.created_by
    assert AuditEvent.objects.get(action="recruitment.retender_drafted").actor_label == "system"


def test_a_project_never_recruited_here_gets_the_suggested_criteria_and_can_be_published(roles, wenshang):
    project = ServiceProjectFactory(
        palace=wenshang,
        created_by=roles["admin"],
        name="职工心理健康服务",
        category=ServiceCategory.HEALTH,
        budget=Decimal("88000.00"),
    )
    draft = services.recruitment_retender_draft(actor=roles["admin"], project=project)
    assert draft.reissue_of is None and draft.title == "职工心理健康服务" + zh(RETENDER_MARK)
    assert draft.budget_ceiling == Decimal("88000.00")
    assert sum(c.max_points for c in draft.criteria.all()) == 100 and draft.required_documents.exists()
    assert _publish(roles["admin"], draft).state == Recruitment.State.PUBLISHED


def test_only_the_palaces_administrator_may_draft_it(roles, old):
    before = Recruitment.objects.count()
    for who in ("evaluator", "auditor", "other_admin", "provider_a"):
        with pytest.raises(NotPermitted):
            services.recruitment_retender_draft(actor=roles[who], recruitment=old)
    assert Recruitment.objects.count() == before
    assert not AuditEvent.objects.filter(action="recruitment.retender_drafted").exists()


def test_publishing_a_retender_tells_the_palace_staff_and_the_verified_providers_of_the_category(
    roles, wenshang, foshan, old
):
    admin = roles["admin"]
    draft = services.recruitment_retender_draft(actor=admin, recruitment=old)
    # Who is told: the palace's staff (every role), and verified providers registered here in training.
    told = [admin, roles["evaluator"], roles["auditor"], roles["provider_a"], roles["provider_b"]]
    # Who is not: another category, a provider not yet verified, another palace's, an excluded one.
    culture = provider_user(ProviderFactory(palace=wenshang, verified=True, categories=[ServiceCategory.CULTURE]))
    pending = provider_user(ProviderFactory(palace=wenshang))
    elsewhere = provider_user(ProviderFactory(palace=foshan, verified=True))
    excluded_provider = ProviderFactory(palace=wenshang, verified=True)
    excluded = provider_user(excluded_provider)
    today = timezone.localdate()
    Exclusion.objects.create(
        provider=excluded_provider,
        palace=wenshang,
        starts_on=today,
        ends_on=today + timedelta(days=365),
        reason="退出合作",
        created_by=admin,
    )
    not_told = [culture, pending, elsewhere, excluded, roles["other_admin"], roles["other_auditor"]]

    _publish(admin, draft)

    subject = zh(RETENDER_PUBLISHED_SUBJECT, title=draft.title)
    notified = set(Notification.objects.filter(subject=subject).values_list("recipient", flat=True))
    assert notified == {u.pk for u in told}
    assert not notified & {u.pk for u in not_told}
    provider_note = Notification.objects.get(subject=subject, recipient=roles["provider_a"])
    assert provider_note.url.endswith(f"/notices/{draft.pk}/")


def test_a_first_recruitment_is_not_announced_as_a_retender(roles, wenshang):
    recruitment = published_recruitment(roles["admin"], wenshang, title="首次招募的服务项目")
    assert recruitment.state == Recruitment.State.PUBLISHED
    assert not Notification.objects.filter(subject=zh(RETENDER_PUBLISHED_SUBJECT, title=recruitment.title)).exists()


def test_a_retender_of_a_project_once_under_contract_is_announced(roles, wenshang):
    """A contract made outside Hezuo leaves no recruitment behind; the project's contract is enough."""
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    draft = services.recruitment_retender_draft(actor=roles["admin"], project=contract.project)
    assert draft.reissue_of is None and services.is_retender(draft)
    _publish(roles["admin"], draft)
    assert Notification.objects.filter(recipient=roles["provider_b"], subject__contains=draft.title).exists()


def test_the_excluded_provider_applying_to_the_retender_is_refused_with_the_end_date(roles, wenshang, old):
    admin = roles["admin"]
    draft = _publish(admin, services.recruitment_retender_draft(actor=admin, recruitment=old))
    today = timezone.localdate()
    exclusion = Exclusion.objects.create(
        provider=roles["provider_a"].provider,
        palace=wenshang,
        starts_on=today,
        ends_on=today + timedelta(days=365),
        reason="合同 WS-HT-2025-001 退出合作：终期评价为差",
        created_by=admin,
    )
    with pytest.raises(DomainError) as refused:
        services.application_submit(
            actor=roles["provider_a"],
            recruitment=draft,
            price=Decimal("90000"),
            proposal="重新申请",
            files=all_documents(draft),
        )
    assert str(refused.value) == zh(ERR_EXCLUDED, until=exclusion.ends_on.isoformat(), reason=exclusion.reason)
    assert exclusion.ends_on.isoformat() in str(refused.value)
    # Another provider applies as usual.
    application = services.application_submit(
        actor=roles["provider_b"],
        recruitment=draft,
        price=Decimal("90000"),
        proposal="每月四场培训",
        files=all_documents(draft),
    )
    assert application.recruitment == draft
    assert not draft.applications.filter(provider=roles["provider_a"].provider).exists()


def test_staff_of_another_role_cannot_publish_it(roles, old):
    draft = services.recruitment_retender_draft(actor=roles["admin"], recruitment=old)
    with pytest.raises(NotPermitted):
        services.recruitment_publish(actor=staff(old.palace, Role.EVALUATOR), recruitment=draft)
