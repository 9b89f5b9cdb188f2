"""Procurement's seals on core's audit trail (DOMAIN.md §6, "the trail keeps the seals").

Whoever reads the trail sees no more than the sealed pages show, by the rules that seal them
(``procurement.permissions``, as filters in ``procurement.desk``):

* ``applications_unsealed``: until a recruitment closes, an application's events name neither the
  applicant (the object's label, an actor who is a provider's user) nor its content (before/after);
  that an application was submitted, resubmitted or withdrawn, and when, stays shown;
* ``can_see_scores``: until the panel's scores are compiled, an evaluator's submitted points and
  justifications stay out of the ``scores.submitted`` and ``scores.justified`` events.

The conditions are evaluated whenever the trail is read, so the details appear when the seal lifts.
"""

from django.db.models import CharField, Q
from django.db.models.functions import Cast

from core.registry import AuditSeal, register_audit_seal

from .desk import applications_unsealed_q, scores_unsealed_q
from .models import Application, PanelMember

SCORING_ACTIONS = ("scores.submitted", "scores.justified")


def _ids(queryset) -> Q:
    # The trail stores object ids as text.
    return Q(object_id__in=queryset.annotate(object_key=Cast("pk", CharField())).values("object_key"))


@register_audit_seal
def procurement_seal(user) -> AuditSeal:
    # Staff who read the trail (administrators, auditors, superusers) are sealed out alike: the rules
    # open to them only when the seal lifts (``can_view_application``, ``can_see_scores``).
    sealed_application = Q(object_type=Application._meta.label) & _ids(
        Application.objects.exclude(applications_unsealed_q("recruitment__"))
    )
    sealed_points = Q(object_type=PanelMember._meta.label, action__in=SCORING_ACTIONS) & _ids(
        PanelMember.objects.exclude(scores_unsealed_q("recruitment__"))
    )
    return AuditSeal(
        label=sealed_application,
        actor=sealed_application & Q(actor__provider_link__isnull=False),
        values=sealed_application | sealed_points,
    )
