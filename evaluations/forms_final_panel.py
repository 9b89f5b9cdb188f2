"""Forms of the final panel review. The recruitment panel's naming, replacement and
justification forms serve as they are; the declaration and the sheet are about one provider."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from procurement.forms_recruitment import JustificationForm, PanelAssignForm, ReplaceForm
from procurement.models import Declaration

from .models import REVIEW_MAXIMA, ReviewCriterion
from .services.final_panel import MIN_PANEL

__all__ = ["FinalDeclarationForm", "FinalPanelForm", "FinalSheetForm", "JustificationForm", "ReplaceForm"]


class FinalPanelForm(PanelAssignForm):
    """The panel: 3 or more of the palace's evaluators."""

    def __init__(self, *args, evaluators=None, **kwargs):
        super().__init__(*args, evaluators=evaluators, **kwargs)
        self.fields["evaluators"].help_text = _("Choose at least %(min)d.") % {"min": MIN_PANEL}


class FinalDeclarationForm(forms.Form):
    """回避声明 about the one provider under review, before anything of its term is shown."""

    conflict = forms.ChoiceField(label=_("Conflict of interest"), choices=Declaration.Conflict.choices,
                                 initial=Declaration.Conflict.NONE, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Details"), required=False, max_length=500,
                           help_text=_("Required in practice when you declare a conflict: say what it is."))


class FinalSheetForm(forms.Form):
    """Points and a comment on each review criterion. The range is the service's to judge; the browser hints."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for criterion in ReviewCriterion:
            top = REVIEW_MAXIMA[criterion]
            self.fields[f"points_{criterion.value}"] = forms.DecimalField(
                label=criterion.label, max_digits=5, decimal_places=2,
                widget=forms.NumberInput(attrs={"min": "0", "max": f"{top.normalize():f}", "step": "0.01",
                                                "class": "hz-points"}))
            self.fields[f"comment_{criterion.value}"] = forms.CharField(
                label=_("Comment"), required=False, max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}))
            self.rows.append((criterion, top, self[f"points_{criterion.value}"], self[f"comment_{criterion.value}"]))

    def scores(self) -> dict[str, tuple[Decimal, str]]:
        return {c.value: (self.cleaned_data[f"points_{c.value}"], self.cleaned_data[f"comment_{c.value}"])
                for c, _top, _p, _c in self.rows}
