"""Award, publicity and objections (DOMAIN.md §1): the proposed award is published for five
working days (公示); an applicant may object; an upheld objection reopens the evaluation or
cancels the recruitment; with every objection answered, the award is made final and
contracts drafts the contract (``recruitment_awarded``).
"""

from collections.abc import Sequence
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError
from core.models import User
from core.notify import notify
from core.transitions import done_by, transition
from core.uploads import store_uploads
from core.workdays import add_working_days

from ..models import Application, CompiledScore, Objection, PanelMember, Recruitment, Score
from ..permissions import provider_of
from .compilation import ERR_NOT_COMPILED
from .publishing import recruitment_cancel
from .recruitment import (
    lock_recruitment,
    now_or_clock,
    palace_admins,
    panel_changed,
    recruitment_awarded,
    require_admin,
    valid_applications,
)

PUBLICITY_WORKING_DAYS = 5

ERR_AWARD_REASON = _("Choosing an applicant other than the top-ranked one needs a written reason.")
ERR_NOT_IN_PUBLICITY = _("Objections can be lodged only while the result is in publicity.")
ERR_OBJECTION_GROUNDS = _("State the grounds of the objection.")
ERR_NOT_APPLICANT = _("Only an applicant may lodge an objection.")
ERR_ANSWER_REQUIRED = _("Write the answer; the applicant will read it.")
ERR_OBJECTION_ANSWERED = _("This objection was already answered by %(who)s on %(when)s: %(state)s.")
ERR_OPEN_OBJECTIONS = _("Every objection must be answered before the recruitment is awarded.")
ERR_PUBLICITY_RUNNING = _("The publicity period has not ended yet.")


@transaction.atomic
def award_propose(
    *, actor: User, recruitment: Recruitment, application: Application, reason: str = "", now: datetime | None = None
) -> Recruitment:
    """Propose the award and publish the result for 5 working days of publicity (公示)."""
    now = now_or_clock(now)
    recruitment = lock_recruitment(recruitment)
    require_admin(actor, recruitment)
    if recruitment.state != Recruitment.State.EVALUATING or recruitment.compiled_at is None:
        raise DomainError(ERR_NOT_COMPILED)
    application = Application.objects.get(pk=application.pk, recruitment=recruitment, is_valid=True)
    if application.rank != 1 and not reason.strip():
        raise DomainError(ERR_AWARD_REASON, field="reason")
    before = audit.snapshot(recruitment, ["state", "awarded_application"])
    recruitment.awarded_application = application
    recruitment.award_reason = reason.strip()
    recruitment.publicity_ends_at = timezone.make_aware(
        datetime.combine(
            add_working_days(timezone.localdate(now), PUBLICITY_WORKING_DAYS),
            datetime.max.time().replace(microsecond=0),
        )
    )
    recruitment.publicise()
    recruitment.save()
    audit.record(
        actor=actor,
        action="award.proposed",
        obj=recruitment,
        palace=recruitment.palace_id,
        before=before,
        after=audit.snapshot(recruitment, ["state", "awarded_application", "award_reason", "publicity_ends_at"]),
    )
    applicants = User.objects.filter(provider_link__provider__applications__recruitment=recruitment).distinct()
    notify(
        applicants,
        subject=_("Result published for %(number)s") % {"number": recruitment.number},
        body=_("The proposed award is in publicity until %(until)s. Applicants may lodge an objection.")
        % {"until": timezone.localtime(recruitment.publicity_ends_at).strftime("%Y-%m-%d")},
        url=reverse("notice_detail", args=[recruitment.pk]),
    )
    return recruitment


def objection_problem(recruitment: Recruitment, application: Application | None, now: datetime) -> str:
    """Why this applicant may not object now ("" when it may); pages show it before anyone writes."""
    if application is None:
        return str(ERR_NOT_APPLICANT)
    if recruitment.state != Recruitment.State.PUBLICITY or now > recruitment.publicity_ends_at:
        return str(ERR_NOT_IN_PUBLICITY)
    return ""


def finalise_problem(recruitment: Recruitment, now: datetime) -> str:
    """Why the award cannot be made final yet ("" when it can)."""
    if now <= recruitment.publicity_ends_at:
        return str(ERR_PUBLICITY_RUNNING)
    if recruitment.objections.filter(state=Objection.State.OPEN).exists():
        return str(ERR_OPEN_OBJECTIONS)
    return ""


@transaction.atomic
def objection_lodge(
    *,
    actor: User,
    recruitment: Recruitment,
    grounds: str,
    attachments: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> Objection:
    now = now_or_clock(now)
    recruitment = lock_recruitment(recruitment)
    provider = provider_of(actor)
    application = recruitment.applications.filter(provider=provider).first() if provider else None
    problem = objection_problem(recruitment, application, now)
    if problem:
        raise DomainError(problem)
    if not grounds.strip():
        raise DomainError(ERR_OBJECTION_GROUNDS, field="grounds")
    files = store_uploads(uploads=list(attachments), purpose="objection", actor=actor)
    objection = Objection.objects.create(
        recruitment=recruitment, application=application, grounds=grounds.strip(), lodged_by=actor
    )
    objection.attachments.set(files)
    audit.record(
        actor=actor,
        action="objection.lodged",
        obj=objection,
        palace=recruitment.palace_id,
        after={"grounds": objection.grounds, "attachments": len(files)},
    )
    notify(
        palace_admins(recruitment.palace_id),
        subject=_("Objection to %(number)s from %(name)s") % {"number": recruitment.number, "name": provider},
        url=reverse("procurement:recruitment_detail", args=[recruitment.pk]),
    )
    return objection


@transaction.atomic
def objection_answer(*, actor: User, objection: Objection, upheld: bool, answer: str, outcome: str = "") -> Objection:
    """Answer an objection. Upheld: reopen evaluation, or cancel the recruitment."""
    objection = Objection.objects.select_for_update().select_related("recruitment").get(pk=objection.pk)
    recruitment = lock_recruitment(objection.recruitment)
    require_admin(actor, recruitment)
    if objection.state != Objection.State.OPEN:  # a double click, or another administrator first
        raise DomainError(
            ERR_OBJECTION_ANSWERED
            % {
                "state": objection.get_state_display(),
                **done_by(objection, objection.answered_by, objection.answered_at),
            }
        )
    if not answer.strip():
        raise DomainError(ERR_ANSWER_REQUIRED, field="answer")
    if upheld and outcome not in Objection.Outcome.values:
        raise DomainError(_("Choose whether to reopen the evaluation or cancel the recruitment."), field="outcome")
    before = audit.snapshot(objection, ["state"])
    with transition(objection):
        if upheld:
            objection.uphold()
            objection.outcome = outcome
        else:
            objection.reject()
    objection.answer, objection.answered_by, objection.answered_at = answer.strip(), actor, timezone.now()
    objection.save()
    audit.record(
        actor=actor,
        action="objection.upheld" if upheld else "objection.rejected",
        obj=objection,
        palace=recruitment.palace_id,
        before=before,
        after={"state": objection.state, "outcome": objection.outcome, "answer": objection.answer},
    )
    notify(
        [objection.lodged_by],
        subject=_("Your objection to %(number)s was answered") % {"number": recruitment.number},
        body=objection.answer,
        url=reverse("notice_detail", args=[recruitment.pk]),
    )
    if upheld and outcome == Objection.Outcome.REOPEN:
        _reopen_evaluation(actor, recruitment, objection)
    elif upheld:
        recruitment_cancel(
            actor=actor,
            recruitment=recruitment,
            reason=str(_("Objection upheld: %(answer)s") % {"answer": objection.answer}),
        )
    return objection


def _reopen_evaluation(actor: User, recruitment: Recruitment, objection: Objection) -> None:
    """Send the panel back to scoring: a new round, with the old one kept for the record.

    The round's scores are marked superseded (``Score.all_rounds`` keeps them), the
    compiled result and ranking are cleared, and every seat that had submitted is
    reopened, so each evaluator scores again and the scores are sealed until the whole
    panel has submitted, as in the first round. Conflict declarations stand. The tender
    report already issued stays issued; the next compilation issues a new version.
    """
    before = audit.snapshot(recruitment, ["state", "awarded_application", "evaluation_round", "compiled_at"]) | {
        "ranking": list(valid_applications(recruitment).order_by("rank").values("pk", "total", "rank"))
    }
    round_ = recruitment.evaluation_round
    Score.objects.filter(member__recruitment=recruitment).update(superseded_in_round=round_)
    CompiledScore.objects.filter(application__recruitment=recruitment).delete()
    Application.objects.filter(recruitment=recruitment).update(total=None, rank=None)
    recruitment.reopen_evaluation()
    recruitment.awarded_application = None
    recruitment.award_reason = ""
    recruitment.publicity_ends_at = None
    recruitment.compiled_at = None
    recruitment.evaluation_round = round_ + 1
    recruitment.save()
    seats = list(
        PanelMember.objects.select_for_update(of=("self",))
        .filter(
            recruitment=recruitment,
            replaced_by__isnull=True,
            state__in=[PanelMember.State.SUBMITTED, PanelMember.State.JUSTIFYING],
        )
        .select_related("evaluator")
    )
    for member in seats:
        if member.state == PanelMember.State.JUSTIFYING:
            member.submit()
        member.reopen()
        member.submitted_at = None
        member.save()
    audit.record(
        actor=actor,
        action="recruitment.reopened",
        obj=recruitment,
        palace=recruitment.palace_id,
        before=before,
        after=audit.snapshot(recruitment, ["state", "awarded_application", "evaluation_round", "compiled_at"])
        | {"objection": objection.pk, "reopened_seats": [m.pk for m in seats]},
    )
    for member in seats:
        notify(
            [member.evaluator],
            subject=_("Score %(number)s again: an objection was upheld") % {"number": recruitment.number},
            body=objection.answer,
            url=reverse("procurement:panel_task", args=[member.pk]),
        )
    panel_changed.send(sender=Recruitment, recruitment=recruitment)


@transaction.atomic
def recruitment_finalise(
    *, recruitment: Recruitment, now: datetime | None = None, actor: User | None = None
) -> Recruitment:
    """After publicity, with every objection answered: awarded, and a draft contract follows."""
    now = now_or_clock(now)
    recruitment = lock_recruitment(recruitment)
    if actor is not None:  # the scheduler acts with no actor; a person must run the palace
        require_admin(actor, recruitment)
    if recruitment.state != Recruitment.State.PUBLICITY:
        return recruitment
    problem = finalise_problem(recruitment, now)
    if problem:
        raise DomainError(problem)
    before = audit.snapshot(recruitment, ["state"])
    recruitment.award()
    recruitment.save()
    audit.record(
        actor=actor,
        action="recruitment.awarded",
        obj=recruitment,
        palace=recruitment.palace_id,
        before=before,
        after={"state": recruitment.state, "provider": recruitment.awarded_application.provider.name},
    )
    recruitment_awarded.send(sender=Recruitment, recruitment=recruitment, actor=actor)
    return recruitment
