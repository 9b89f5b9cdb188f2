"""Forms of the final-evaluation pages: the provider's appeal, the administrator's decision, the weights.

They parse input only. Whether the appeal window is open, whether a reason is given, whether
the weights add up to 100: those are the services' calls, and their messages are the ones the
user reads (``evaluations/services/final.py``).
"""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from evaluations.final.models import REVIEW_MAXIMA, Appeal, ReviewCriterion
from evaluations.final.services.panel import MIN_PANEL
from evaluations.rectification.forms import EVIDENCE_TYPES
from procurement.forms import MultipleFileField
from procurement.forms_recruitment import JustificationForm, PanelAssignForm, ReplaceForm
from procurement.models import Declaration

WEIGHT_FIELDS = ("period_scores", "kpi", "satisfaction", "panel")


class AppealForm(forms.Form):
    """The provider's one appeal against the proposed rating: its grounds and evidence."""

    grounds = forms.CharField(
        label=_("Grounds of the appeal"),
        required=False,
        max_length=5000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6, "required": True}),
        help_text=_(
            "Say which part of the breakdown you dispute and why: a component, a deduction, a red "
            "line. The palace's administrator reads it with the evidence and decides."
        ),
    )
    # An empty file passes the form so that the service's own message names it.
    evidence = MultipleFileField(
        label=_("Evidence"),
        required=False,
        allow_empty_file=True,
        help_text=_("Documents, photos, sign-in sheets: PDF, JPEG or PNG, at most 10 MB each."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].widget.attrs.update({"accept": EVIDENCE_TYPES})


class AppealDecisionForm(forms.Form):
    """The administrator's decision on the appeal: uphold the proposal, or adjust its points."""

    decision = forms.ChoiceField(
        label=_("Decision on the appeal"),
        required=False,
        choices=Appeal.Decision.choices,
        widget=forms.RadioSelect(attrs={"required": True}),
    )
    adjusted_total = forms.DecimalField(
        label=_("Adjusted points"),
        required=False,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.01", "inputmode": "decimal"}),
        help_text=_(
            "Only when adjusting: the evaluation's total points after the adjustment, from 0 to 100. "
            "The rating follows from them; a red line in the term still caps it at 差."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=5000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "required": True}),
        help_text=_(
            "Required either way. It is shown to the provider, printed in the "
            "assessment report and kept in the audit trail."
        ),
    )


class FinalWeightsForm(forms.Form):
    """Whole-number weights and the exclusion's length; the service refuses weights not adding up to 100."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            "period_scores": _("Mean of the term's period scores"),
            "kpi": _("KPI completion"),
            "satisfaction": _("End-of-term satisfaction"),
            "panel": _("Final panel review"),
        }
        for name in WEIGHT_FIELDS:
            self.fields[name] = forms.IntegerField(
                label=labels[name],
                min_value=0,
                max_value=100,
                widget=forms.NumberInput(
                    attrs={"min": 0, "max": 100, "step": 1, "inputmode": "numeric", "class": "hz-weight"}
                ),
            )
        self.fields["exclusion_years"] = forms.TypedChoiceField(
            label=_("Exclusion after an exit"),
            coerce=int,
            choices=[(n, _n_years(n)) for n in (1, 2, 3)],
            help_text=_(
                "How long a provider that exits after a 差 (or an early termination) may not apply to "
                "this palace's recruitments."
            ),
        )

    def weight_fields(self):
        return [self[name] for name in WEIGHT_FIELDS]

    def weights(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in WEIGHT_FIELDS}


def _n_years(n: int) -> str:
    return ngettext("%(n)d year", "%(n)d years", n) % {"n": n}


__all__ = ["FinalDeclarationForm", "FinalPanelForm", "FinalSheetForm", "JustificationForm", "ReplaceForm"]


class FinalPanelForm(PanelAssignForm):
    """The panel: 3 or more of the palace's evaluators."""

    def __init__(self, *args, evaluators=None, **kwargs):
        super().__init__(*args, evaluators=evaluators, **kwargs)
        self.fields["evaluators"].help_text = _("Choose at least %(min)d.") % {"min": MIN_PANEL}


class FinalDeclarationForm(forms.Form):
    """回避声明 about the one provider under review, before anything of its term is shown."""

    conflict = forms.ChoiceField(
        label=_("Conflict of interest"),
        choices=Declaration.Conflict.choices,
        initial=Declaration.Conflict.NONE,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=500,
        help_text=_("Required in practice when you declare a conflict: say what it is."),
    )


class FinalSheetForm(forms.Form):
    """Points and a comment on each review criterion. The range is the service's to judge; the browser hints."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for criterion in ReviewCriterion:
            top = REVIEW_MAXIMA[criterion]
            self.fields[f"points_{criterion.value}"] = forms.DecimalField(
                label=criterion.label,
                max_digits=5,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={"min": "0", "max": f"{top.normalize():f}", "step": "0.01", "class": "hz-points"}
                ),
            )
            self.fields[f"comment_{criterion.value}"] = forms.CharField(
                label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.rows.append((criterion, top, self[f"points_{criterion.value}"], self[f"comment_{criterion.value}"]))

    def scores(self) -> dict[str, tuple[Decimal, str]]:
        return {
            c.value: (self.cleaned_data[f"points_{c.value}"], self.cleaned_data[f"comment_{c.value}"])
            for c, _top, _p, _c in self.rows
        }
