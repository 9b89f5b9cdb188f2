"""Re-tender (重新招募, DOMAIN.md §5): the same service project goes back out to public recruitment.

After an exit (a final rating of 差, or an early termination), and at the end of a term
rated 合格, the palace recruits again for the same service project without anyone
retyping the notice. ``recruitment_retender_draft`` drafts it from the old recruitment,
with the terms a re-issue copies (``recruitment_terms``), and leaves it a draft: the
administrator sets the new dates, reviews it and publishes it with the ordinary
``recruitment_publish``, which refuses it until its rules hold (``publish_problems``).

The excluded provider is not named on the notice: its ``Exclusion``, checked whenever
it applies (``applying.eligibility_problem``), refuses it with the end date.

When a re-tender is published, ``retender_published`` tells the palace's staff and the
verified providers registered with the palace in the project's category. ``publishing``
calls it, so this module imports the drafting and applying steps, never publishing.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import NotPermitted
from core.models import Membership, Role, User
from core.notify import notify

from ..forms_recruitment import SUGGESTED_CRITERIA, SUGGESTED_DOCUMENTS
from ..models import Provider, Recruitment, ServiceProject
from .applying import active_exclusion
from .drafting import CriterionInput, criteria_rows, new_draft, recruitment_terms

__all__ = [
    "RETENDER_DRAFTED_SUBJECT",
    "RETENDER_MARK",
    "RETENDER_PUBLISHED_SUBJECT",
    "is_retender",
    "recruitment_retender_draft",
    "retender_published",
]

# Appended to the old title, so that the notice and the recruitments table tell the two apart.
RETENDER_MARK = _("(re-tender)")
TITLE_MAX = Recruitment._meta.get_field("title").max_length
RETENDER_DRAFTED_SUBJECT = _("Re-tender %(number)s drafted for “%(project)s”: review and publish")
RETENDER_PUBLISHED_SUBJECT = _("Re-tender published: %(title)s")


def _retender_title(title: str) -> str:
    mark = str(RETENDER_MARK)
    title = title.strip()
    if title.endswith(mark):
        return title
    return f"{title[: TITLE_MAX - len(mark)]}{mark}"


def _suggested_terms(project: ServiceProject) -> dict:
    """For a project never recruited here (its contract was made outside Hezuo): the suggested criteria
    and documents the new-recruitment form offers, with the project's budget as the ceiling."""
    return {
        "project": project,
        "title": project.name,
        "deadline": None,
        "criteria": [
            CriterionInput(str(c["name"]), c["max_points"], c["kind"], str(c["description"]))
            for c in SUGGESTED_CRITERIA
        ],
        "required_documents": [str(d["name"]) for d in SUGGESTED_DOCUMENTS],
        "description": project.description,
        "eligibility": "",
        "budget_ceiling": project.budget,
    }


def _staff(palace_id: int, *roles: str):
    members = Membership.objects.filter(palace_id=palace_id, **({"role__in": roles} if roles else {}))
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True)


@transaction.atomic
def recruitment_retender_draft(
    *,
    actor: User | None,
    recruitment: Recruitment | None = None,
    project: ServiceProject | None = None,
    excluded_provider: Provider | None = None,
    now: datetime | None = None,
) -> Recruitment:
    """Draft the re-tender of ``recruitment`` (or, when the contract had none, of ``project``).

    From the old recruitment: title (marked as a re-tender), notice, eligibility, criteria,
    required documents, price ceiling and panel size, linked by ``reissue_of``. With only a
    project: its latest recruitment if it has one, else the suggested criteria and documents.
    No dates: the administrator sets them. ``actor`` is None when the scheduler drafts it (a 合格
    term ending); the draft is then recorded as created by the project's owner, and the audit
    event as the system's. Audited; the palace's administrators are asked to review and publish.
    """
    now = now or timezone.now()
    if recruitment is None:
        if project is None:
            raise ValueError("a re-tender needs the old recruitment or the service project")
        recruitment = project.recruitments.exclude(state=Recruitment.State.DRAFT).order_by("-created_at").first()
    project = recruitment.project if recruitment is not None else project
    if (
        actor is not None
        and not Membership.objects.filter(user_id=actor.pk, palace_id=project.palace_id, role=Role.ADMIN).exists()
    ):
        raise NotPermitted
    # Stored text is in the palace's language, whoever's browser asked.
    with translation.override(settings.LANGUAGE_CODE):
        terms = recruitment_terms(recruitment) if recruitment is not None else _suggested_terms(project)
        terms["title"] = _retender_title(terms["title"])
    draft = new_draft(created_by=actor or project.created_by, **terms)
    draft.reissue_of = recruitment
    draft.save(update_fields=["reissue_of"])
    exclusion = (
        active_exclusion(excluded_provider, project.palace_id, timezone.localdate(now))
        if excluded_provider is not None
        else None
    )
    audit.record(
        actor=actor,
        action="recruitment.retender_drafted",
        obj=draft,
        palace=draft.palace_id,
        after=audit.snapshot(draft, ["number", "title", "state", "panel_size", "budget_ceiling"])
        | {
            "retender_of": recruitment.number if recruitment is not None else None,
            "criteria": criteria_rows(draft),
            "required_documents": list(draft.required_documents.values_list("name", flat=True)),
            "excluded_provider": excluded_provider.name if excluded_provider is not None else None,
            "excluded_until": exclusion.ends_on if exclusion is not None else None,
        },
    )
    terms = {"number": draft.number, "project": project.name}
    body = _(
        "Drafted from %(old)s with its criteria, eligibility and required documents. Set the application "
        "deadline, review the notice and publish it."
    ) % {"old": recruitment.number if recruitment is not None else project.name}
    if exclusion is not None:
        body = _(
            "%(body)s %(provider)s is excluded from this palace's recruitments until %(until)s; its "
            "application will be refused."
        ) % {"body": body, "provider": excluded_provider.name, "until": exclusion.ends_on.isoformat()}
    notify(
        _staff(project.palace_id, Role.ADMIN),
        subject=RETENDER_DRAFTED_SUBJECT % terms,
        body=body,
        url=reverse("procurement:recruitment_detail", args=[draft.pk]),
    )
    return draft


def is_retender(recruitment: Recruitment) -> bool:
    """A recruitment that sends a service back out: a re-issue or re-tender of an earlier recruitment,
    or a recruitment for a project that has already had a provider under contract (the re-tender of a
    contract made outside Hezuo has no earlier recruitment to point to)."""
    if recruitment.reissue_of_id is not None:
        return True
    # contracts.Contract.project; procurement does not import contracts, the reverse relation is enough.
    contracts = getattr(recruitment.project, "contracts", None)
    return contracts is not None and contracts.exists()


def retender_published(*, recruitment: Recruitment) -> int:
    """Called by ``recruitment_publish`` inside its transaction: for a re-tender, tell the palace's staff
    and the verified providers registered with the palace in the project's category (an excluded one
    is left out: it cannot apply). Returns how many were told."""
    if not is_retender(recruitment):
        return 0
    today = timezone.localdate(recruitment.opens_at)
    project = recruitment.project
    excluded = project.palace.exclusions.filter(starts_on__lte=today, ends_on__gt=today).values("provider_id")
    providers = Provider.objects.filter(
        palace_id=recruitment.palace_id, status=Provider.Status.VERIFIED, categories__category=project.category
    ).exclude(pk__in=excluded)
    prospects = list(User.objects.filter(provider_link__provider__in=providers, is_active=True).distinct())
    staff = list(_staff(recruitment.palace_id))
    deadline = timezone.localtime(recruitment.deadline).strftime("%Y-%m-%d %H:%M")
    terms = {"number": recruitment.number, "title": recruitment.title, "deadline": deadline}
    subject = RETENDER_PUBLISHED_SUBJECT % terms
    notify(
        staff,
        subject=subject,
        body=_("%(number)s is open for applications until %(deadline)s.") % terms,
        url=reverse("procurement:recruitment_detail", args=[recruitment.pk]),
    )
    notify(
        prospects,
        subject=subject,
        body=_(
            "The palace is recruiting again for “%(title)s”, in your service category. Applications close "
            "on %(deadline)s."
        )
        % terms,
        url=reverse("notice_detail", args=[recruitment.pk]),
    )
    return len(staff) + len(prospects)
