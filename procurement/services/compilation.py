"""Scoring and compiling a recruitment (DOMAIN.md §1): each evaluator's sealed score sheet,
outliers justified, the panel's scores compiled into a ranking and a tender report, and a
compiled score corrected only with a second staff member's approval.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError, NotPermitted
from core.models import User
from core.notify import notify
from core.transitions import done_by, transition

from .. import scoring
from ..documents import issue_tender_report
from ..models import (
    Application,
    CompiledScore,
    Criterion,
    PanelMember,
    Recruitment,
    Score,
    ScoreCorrection,
)
from .panels import (
    active_members,
    ask_justifications,
    mark_outliers,
    panel_in,
    record_justifications,
)
from .recruitment import (
    ERR_NOT_EVALUATING,
    lock_recruitment,
    palace_admins,
    panel_changed,
    require_admin,
    valid_applications,
)

ERR_DECLARE_FIRST = _("Declare your conflicts of interest before scoring.")
ERR_SCORE_RANGE = _("%(criterion)s: points must be between 0 and %(max)s.")
ERR_SCORE_MISSING = _("Score every applicant on every criterion.")
ERR_NOT_SCORING = _("Your scores are already submitted.")
ERR_LOCKED = _("Compiled scores are locked; request a correction instead.")
ERR_SAME_PERSON = _("A correction must be approved by a different staff member.")
ERR_CORRECTION_REASON = _("Choose a reason code and write a justification.")
ERR_NOT_COMPILED = _("The scores have not been compiled yet.")
ERR_CORRECTION_DECIDED = _("This correction was already decided by %(who)s on %(when)s: %(state)s.")


@dataclass(frozen=True)
class ScoreInput:
    application_id: int
    criterion_id: int
    points: Decimal
    comment: str = ""


@transaction.atomic
def scores_submit(*, actor: User, member: PanelMember, scores: Sequence[ScoreInput]) -> PanelMember:
    """Submit an evaluator's whole score sheet at once. Sealed until every member has submitted.

    A second submission of the same sheet (a double click, a second tab) is refused,
    and the unique constraint keeps one score per evaluator × application × criterion.
    """
    # Lock the recruitment first: the last two sheets arriving together must see each
    # other, or neither would compile.
    lock_recruitment(member.recruitment)
    member = PanelMember.objects.select_for_update().select_related("recruitment").get(pk=member.pk)
    if member.evaluator_id != actor.pk:
        raise NotPermitted
    if member.recruitment.state != Recruitment.State.EVALUATING:
        raise DomainError(ERR_NOT_EVALUATING)
    if member.state == PanelMember.State.ASSIGNED:
        raise DomainError(ERR_DECLARE_FIRST)
    if member.state != PanelMember.State.DECLARED:
        raise DomainError(ERR_NOT_SCORING)
    recruitment = member.recruitment
    criteria = {c.pk: c for c in recruitment.criteria.filter(kind=Criterion.Kind.SUBJECTIVE)}
    applications = {a.pk for a in valid_applications(recruitment)}
    expected = {(a, c) for a in applications for c in criteria}
    given = {(s.application_id, s.criterion_id): s for s in scores}
    if set(given) != expected:
        raise DomainError(ERR_SCORE_MISSING)
    for s in scores:
        top = criteria[s.criterion_id].max_points
        if s.points is None or not (0 <= s.points <= top):
            raise DomainError(
                ERR_SCORE_RANGE % {"criterion": criteria[s.criterion_id].name, "max": f"{top.normalize():f}"},
                field="scores",
            )
    Score.objects.bulk_create(
        [
            Score(
                member=member,
                application_id=s.application_id,
                criterion_id=s.criterion_id,
                points=s.points,
                comment=s.comment.strip()[:1000],
            )
            for s in scores
        ]
    )
    before = audit.snapshot(member, ["state"])
    member.submit()
    member.submitted_at = timezone.now()
    member.save()
    audit.record(
        actor=actor,
        action="scores.submitted",
        obj=member,
        palace=recruitment.palace_id,
        before=before,
        after={
            "state": member.state,
            "scores": [
                {"application": s.application_id, "criterion": s.criterion_id, "points": s.points} for s in scores
            ],
        },
    )
    _after_submission(recruitment)
    panel_changed.send(sender=Recruitment, recruitment=recruitment)
    return member


@transaction.atomic
def scores_justify(*, actor: User, member: PanelMember, justifications: dict[int, str]) -> PanelMember:
    """The evaluator explains each score flagged as an outlier, then the sheet counts again."""
    lock_recruitment(member.recruitment)
    member = PanelMember.objects.select_for_update().select_related("recruitment").get(pk=member.pk)
    if member.evaluator_id != actor.pk:
        raise NotPermitted
    if member.state != PanelMember.State.JUSTIFYING:
        raise DomainError(ERR_NOT_SCORING)
    written = record_justifications(member, justifications)
    before = audit.snapshot(member, ["state"])
    member.submit()
    member.save()
    audit.record(
        actor=actor,
        action="scores.justified",
        obj=member,
        palace=member.recruitment.palace_id,
        before=before,
        after={"state": member.state, "justifications": written},
    )
    _after_submission(member.recruitment)
    panel_changed.send(sender=Recruitment, recruitment=member.recruitment)
    return member


def _after_submission(recruitment: Recruitment) -> None:
    """When the whole panel is in, flag outliers; compile when none is unexplained."""
    members = list(active_members(recruitment).select_related("evaluator"))
    if not panel_in(members, recruitment.panel_size):
        return
    scores = list(Score.objects.filter(member__in=members).select_related("criterion"))
    to_justify = mark_outliers(
        scores,
        seat_of=lambda s: s.member_id,
        cell_of=lambda s: (s.application_id, s.criterion_id),
        max_points_of=lambda s: s.criterion.max_points,
    )
    if to_justify:
        ask_justifications(
            [m for m in members if m.pk in to_justify],
            action="scores.outliers_flagged",
            palace_id=recruitment.palace_id,
            subject=_("Justify your outlier scores for %(number)s") % {"number": recruitment.number},
            url_of=lambda m: reverse("procurement:panel_task", args=[m.pk]),
        )
        return
    recruitment_compile(recruitment=recruitment)


def compile_results(recruitment: Recruitment) -> dict[int, dict[int, Decimal]]:
    """Per application, per criterion: the panel's points (subjective means and price points)."""
    criteria = list(recruitment.criteria.all())
    members = list(active_members(recruitment))
    applications = list(valid_applications(recruitment))
    points: dict[tuple[int, int], list[Decimal]] = defaultdict(list)
    for app_id, crit_id, value in Score.objects.filter(member__in=members).values_list(
        "application_id", "criterion_id", "points"
    ):
        points[(app_id, crit_id)].append(value)
    lowest = min((a.price for a in applications), default=None)
    result: dict[int, dict[int, Decimal]] = {}
    for application in applications:
        row = {}
        for criterion in criteria:
            if criterion.kind == Criterion.Kind.PRICE:
                row[criterion.pk] = scoring.price_points(
                    lowest=lowest, price=application.price, weight=criterion.max_points
                )
            else:
                row[criterion.pk] = scoring.criterion_mean(points[(application.pk, criterion.pk)])
        result[application.pk] = row
    return result


@transaction.atomic
def recruitment_compile(*, recruitment: Recruitment, actor: User | None = None) -> Recruitment:
    """Compile and lock the panel's scores, rank the applications and issue the tender report."""
    recruitment = lock_recruitment(recruitment)
    results = compile_results(recruitment)
    CompiledScore.objects.filter(application__recruitment=recruitment).delete()
    CompiledScore.objects.bulk_create(
        [
            CompiledScore(application_id=app_id, criterion_id=crit_id, points=value)
            for app_id, row in results.items()
            for crit_id, value in row.items()
        ]
    )
    applications = {a.pk: a for a in valid_applications(recruitment)}
    totals = {app_id: sum(row.values(), Decimal(0)) for app_id, row in results.items()}
    order = scoring.ranking(
        [scoring.Candidate(pk, totals[pk], a.price, a.first_submitted_at) for pk, a in applications.items()]
    )
    for rank, pk in enumerate(order, start=1):
        applications[pk].total, applications[pk].rank = totals[pk], rank
    # One statement, however many applied: compilation must not slow down with the field.
    Application.objects.bulk_update(applications.values(), ["total", "rank"])
    recruitment.compiled_at = timezone.now()
    recruitment.save(update_fields=["compiled_at"])
    audit.record(
        actor=actor,
        action="recruitment.compiled",
        obj=recruitment,
        palace=recruitment.palace_id,
        after={"ranking": [{"application": pk, "total": totals[pk]} for pk in order]},
    )
    notify(
        palace_admins(recruitment.palace_id),
        subject=_("Scores for %(number)s are compiled") % {"number": recruitment.number},
        body=_("Review the ranking and propose the award."),
        url=reverse("procurement:recruitment_detail", args=[recruitment.pk]),
    )
    transaction.on_commit(lambda: issue_tender_report(recruitment=recruitment, actor=actor), robust=True)
    return recruitment


@transaction.atomic
def score_correction_request(
    *, actor: User, score: Score, corrected_points: Decimal, reason: str, justification: str
) -> ScoreCorrection:
    score = Score.objects.select_related("member__recruitment", "criterion").get(pk=score.pk)
    recruitment = score.member.recruitment
    require_admin(actor, recruitment)
    if recruitment.compiled_at is None:
        raise DomainError(ERR_NOT_COMPILED)
    if recruitment.state != Recruitment.State.EVALUATING:
        raise DomainError(ERR_NOT_EVALUATING)
    if reason not in ScoreCorrection.Reason.values or not justification.strip():
        raise DomainError(ERR_CORRECTION_REASON, field="justification")
    if not (0 <= corrected_points <= score.criterion.max_points):
        raise DomainError(
            ERR_SCORE_RANGE % {"criterion": score.criterion.name, "max": f"{score.criterion.max_points.normalize():f}"},
            field="corrected_points",
        )
    correction = ScoreCorrection.objects.create(
        score=score,
        original_points=score.points,
        corrected_points=corrected_points,
        reason=reason,
        justification=justification.strip(),
        requested_by=actor,
    )
    audit.record(
        actor=actor,
        action="score.correction_requested",
        obj=correction,
        palace=recruitment.palace_id,
        after=audit.snapshot(correction, ["original_points", "corrected_points", "reason", "justification"]),
    )
    notify(
        palace_admins(recruitment.palace_id).exclude(pk=actor.pk),
        subject=_("A score correction for %(number)s needs your approval") % {"number": recruitment.number},
        url=reverse("procurement:recruitment_detail", args=[recruitment.pk]),
    )
    return correction


@transaction.atomic
def score_correction_decide(
    *, actor: User, correction: ScoreCorrection, approve: bool, note: str = ""
) -> ScoreCorrection:
    """A second staff member approves or rejects; an approval recompiles and reissues the report."""
    correction = (
        ScoreCorrection.objects.select_for_update(of=("self",))
        .select_related("score__member__recruitment", "decided_by")
        .get(pk=correction.pk)
    )
    recruitment = correction.score.member.recruitment
    require_admin(actor, recruitment)
    if correction.state != ScoreCorrection.State.REQUESTED:  # a double click, or another administrator first
        raise DomainError(
            ERR_CORRECTION_DECIDED
            % {
                "state": correction.get_state_display(),
                **done_by(correction, correction.decided_by, correction.decided_at),
            }
        )
    if actor.pk == correction.requested_by_id:
        raise DomainError(ERR_SAME_PERSON)
    before = audit.snapshot(correction, ["state"])
    with transition(correction):
        if approve:
            correction.approve()
            Score.objects.filter(pk=correction.score_id).update(points=correction.corrected_points)
        else:
            correction.reject()
    correction.decided_by, correction.decided_at = actor, timezone.now()
    correction.save()
    audit.record(
        actor=actor,
        action="score.correction_approved" if approve else "score.correction_rejected",
        obj=correction,
        palace=recruitment.palace_id,
        before=before,
        after={"state": correction.state, "note": note.strip()},
    )
    if approve:
        recruitment_compile(recruitment=recruitment, actor=actor)
    return correction
