"""A step taken twice, by a double click or by two administrators at once, is refused with a message
that says who took it and when; the first result stands and nothing is written twice."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from core.models import AuditEvent, Role
from core.transitions import moment
from procurement import services
from procurement.models import Recruitment, ScoreCorrection

from ..factories import staff
from ..recruitment_builders import RecruitmentBuilder, Stage
from ..threads import run_together


def _requested(b: RecruitmentBuilder) -> ScoreCorrection:
    score = b.members[0].scores.select_related("criterion").order_by("criterion__position").first()
    return services.score_correction_request(
        actor=b.admin,
        score=score,
        corrected_points=min(score.points + 2, score.criterion.max_points),
        reason=ScoreCorrection.Reason.ARITHMETIC,
        justification="评分表合计时误将分值填错，经评审专家本人核对确认更正。",
    )


@pytest.mark.django_db
def test_approving_a_correction_twice_names_who_approved_it_and_when():
    b = RecruitmentBuilder().advance_to(Stage.COMPILED)
    correction = _requested(b)
    services.score_correction_decide(actor=b.approver, correction=correction, approve=True)
    correction.refresh_from_db()
    events = AuditEvent.objects.count()

    with translation.override("zh-hans"), pytest.raises(DomainError) as exc:
        services.score_correction_decide(actor=b.approver, correction=correction, approve=True)
    message = str(exc.value)
    assert message == f"这项更正已由颜丽于 {moment(correction.decided_at)} 审批：已批准。"
    assert AuditEvent.objects.count() == events
    # A rejection after the approval is the same replay, and changes nothing either.
    with pytest.raises(DomainError):
        services.score_correction_decide(actor=b.approver, correction=correction, approve=False)
    correction.refresh_from_db()
    assert correction.state == ScoreCorrection.State.APPROVED


@pytest.mark.django_db
def test_the_second_click_on_approve_shows_the_cockpit_with_the_message(client_for):
    b = RecruitmentBuilder().advance_to(Stage.COMPILED)
    correction = _requested(b)
    client = client_for(b.approver)
    client.raise_request_exception = False
    target = reverse("procurement:correction_decide", args=[b.recruitment.pk, correction.pk])
    data = {"decision": "approve", "note": "核对无误"}
    assert client.post(target, data, follow=True).status_code == 200
    second = client.post(target, data, follow=True)
    assert second.status_code == 200
    assert "这项更正已由颜丽于" in second.content.decode()
    assert AuditEvent.objects.filter(action="score.correction_approved").count() == 1


@pytest.mark.django_db
def test_cancelling_twice_and_reissuing_twice_say_it_was_already_done():
    b = RecruitmentBuilder().advance_to(Stage.PUBLISHED)
    services.recruitment_cancel(actor=b.admin, recruitment=b.recruitment, reason="预算调整")
    with translation.override("zh-hans"), pytest.raises(DomainError) as exc:
        services.recruitment_cancel(actor=b.approver, recruitment=b.recruitment, reason="预算调整")
    message = str(exc.value)
    assert message.startswith("该招募已由孔令华于 ")
    clone = services.recruitment_reissue(actor=b.admin, recruitment=b.recruitment)
    with translation.override("zh-hans"), pytest.raises(DomainError) as exc:
        services.recruitment_reissue(actor=b.approver, recruitment=b.recruitment)
    message = str(exc.value)
    assert clone.number in message and "孔令华" in message
    assert Recruitment.objects.filter(reissue_of=b.recruitment).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_administrators_approving_at_once_give_one_approval_and_one_clear_message():
    b = RecruitmentBuilder().advance_to(Stage.COMPILED)
    correction = _requested(b)
    third = staff(b.palace, Role.ADMIN)
    third.full_name = "王建国"
    third.save(update_fields=["full_name"])

    def approve(user):
        with translation.override("zh-hans"):
            try:
                return services.score_correction_decide(actor=user, correction=correction, approve=True)
            except DomainError as exc:
                return str(exc)

    results = run_together(lambda: approve(b.approver), lambda: approve(third))
    decided = [r for r in results if isinstance(r, ScoreCorrection)]
    refused = [r for r in results if isinstance(r, str)]
    assert (len(decided), len(refused)) == (1, 1), results
    correction.refresh_from_db()
    assert refused[0] == f"这项更正已由{correction.decided_by}于 {moment(correction.decided_at)} 审批：已批准。"
    assert AuditEvent.objects.filter(action="score.correction_approved").count() == 1
