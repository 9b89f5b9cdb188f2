"""Forms of the rectification pages: the provider's answer, the re-inspection, the termination decision.

They parse input only. Whether every finding is answered or judged, whether a file is
really a PDF, whether the deadline has passed: those are the services' calls, and their
messages are the ones the user reads.
"""

from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluations.rectification.models import Finding, TerminationReview
from procurement.forms import MultipleFileField

EVIDENCE_TYPES = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class OrderResponseForm(forms.Form):
    """The provider's rectification report: what was put right for each finding, with evidence."""

    def __init__(self, *args, findings: Sequence[Finding], **kwargs):
        super().__init__(*args, **kwargs)
        self.findings = list(findings)
        for f in self.findings:
            self.fields[f"response_{f.pk}"] = forms.CharField(
                label=_("What was put right"),
                required=False,
                max_length=5000,
                strip=True,
                widget=forms.Textarea(attrs={"rows": 3, "required": True}),
            )
            # An empty file passes the form so that the service's own message names it.
            self.fields[f"evidence_{f.pk}"] = MultipleFileField(
                label=_("Evidence"),
                required=False,
                allow_empty_file=True,
                help_text=_(
                    "Required for each finding. Photos, sign-in sheets, documents: PDF, JPEG or PNG, "
                    "at most 10 MB each."
                ),
            )
            self.fields[f"evidence_{f.pk}"].widget.attrs.update({"accept": EVIDENCE_TYPES})

    def rows(self) -> list[tuple]:
        """(finding, its response field, its evidence field), in the order's order."""
        return [(f, self[f"response_{f.pk}"], self[f"evidence_{f.pk}"]) for f in self.findings]

    def responses(self) -> dict[int, str]:
        return {f.pk: self.cleaned_data.get(f"response_{f.pk}") or "" for f in self.findings}

    def evidence(self) -> dict[int, list]:
        return {f.pk: files for f in self.findings if (files := self.cleaned_data.get(f"evidence_{f.pk}"))}


class ReinspectionForm(forms.Form):
    """The re-inspection: each finding resolved, partly resolved or not resolved, with a note."""

    def __init__(self, *args, findings: Sequence[Finding], **kwargs):
        super().__init__(*args, **kwargs)
        self.findings = list(findings)
        for f in self.findings:
            self.fields[f"outcome_{f.pk}"] = forms.ChoiceField(
                label=_("Outcome"),
                required=False,
                choices=Finding.Outcome.choices,
                widget=forms.RadioSelect(attrs={"required": True}),
            )
            self.fields[f"note_{f.pk}"] = forms.CharField(
                label=_("Re-inspection note"),
                required=False,
                max_length=500,
                strip=True,
                widget=forms.TextInput(attrs={"placeholder": _("What you found on re-inspection")}),
            )

    def rows(self) -> list[tuple]:
        return [(f, self[f"outcome_{f.pk}"], self[f"note_{f.pk}"]) for f in self.findings]

    def outcomes(self) -> dict[int, tuple[str, str]]:
        return {
            f.pk: (self.cleaned_data.get(f"outcome_{f.pk}") or "", self.cleaned_data.get(f"note_{f.pk}") or "")
            for f in self.findings
        }


class TerminationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision on early termination"),
        required=False,
        choices=TerminationReview.Decision.choices,
        widget=forms.RadioSelect(attrs={"required": True}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=5000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "required": True}),
        help_text=_("Recorded with the decision in the audit trail, and shown to the provider."),
    )
