"""Exit (退出, DOMAIN.md §5).

A 差 made final, or an early termination decided on a ``TerminationReview``, ends in an
``Exit``: the contract terminated, a ``HandoverItem`` checklist for both sides, the last
milestone withheld, a ``procurement.Exclusion`` and a drafted re-tender.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, Milestone
from core.models import User
from evaluations.final.models import FinalEvaluation
from evaluations.rectification.models import TerminationReview
from procurement.models import Exclusion, Recruitment


class Exit(models.Model):
    """退出合作: the end of a partnership, after a final rating of 差 or an early termination."""

    contract = models.OneToOneField(Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="exit")
    final_evaluation = models.OneToOneField(
        FinalEvaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="exit"
    )
    termination_review = models.OneToOneField(
        TerminationReview, null=True, blank=True, on_delete=models.PROTECT, related_name="exit"
    )
    reason = models.TextField(_("reason"))
    exclusion = models.OneToOneField(
        Exclusion, verbose_name=_("exclusion"), on_delete=models.PROTECT, related_name="exit"
    )
    withheld_milestone = models.OneToOneField(
        Milestone,
        verbose_name=_("withheld milestone"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exit",
    )
    retender = models.OneToOneField(
        Recruitment,
        verbose_name=_("re-tender"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retender_of_exit",
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("exited at"))
    handover_completed_at = models.DateTimeField(_("handover completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("exit")
        verbose_name_plural = _("exits")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(final_evaluation__isnull=False, termination_review__isnull=True)
                    | models.Q(final_evaluation__isnull=True, termination_review__isnull=False)
                ),
                name="exit_has_one_cause",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.created_at:%Y-%m-%d}"


class HandoverItem(models.Model):
    """One line of the exit's handover checklist (交接清单), confirmed by both sides."""

    class Kind(models.TextChoices):
        PARTICIPANTS = "participants", _("Participant records")
        KEYS = "keys", _("Keys and access cards")
        EQUIPMENT = "equipment", _("Equipment and materials")
        SESSIONS = "sessions", _("Unfinished sessions")

    exit = models.ForeignKey(Exit, on_delete=models.CASCADE, related_name="handover_items")
    kind = models.CharField(_("item"), max_length=12, choices=Kind.choices)
    note = models.CharField(_("what was handed over"), max_length=500, blank=True)
    provider_confirmed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    provider_confirmed_at = models.DateTimeField(_("confirmed by the provider at"), null=True, blank=True)
    palace_confirmed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    palace_confirmed_at = models.DateTimeField(_("confirmed by the palace at"), null=True, blank=True)

    class Meta:
        verbose_name = _("handover item")
        verbose_name_plural = _("handover items")
        ordering = ["exit", "id"]
        constraints = [
            models.UniqueConstraint(fields=["exit", "kind"], name="handover_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.exit} · {self.get_kind_display()}"
