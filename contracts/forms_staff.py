"""Forms of the staff's contract and report pages. They parse input; the services judge it.

The term's 1–36 months, the amount above 0 and the score's 0–100 are the services' rules:
the forms only hint them to the browser, so the page shows the service's own message.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from procurement.models import KpiMetric, ServiceCategory

from .models import MAX_TERM_MONTHS, Contract


class ContractForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (CNY)"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
    )
    term_months = forms.IntegerField(
        label=_("Term (months)"), widget=forms.NumberInput(attrs={"min": 1, "max": MAX_TERM_MONTHS})
    )
    starts_on = forms.DateField(
        label=_("Starts on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The end date follows from the start and the term. Needed to sign."),
    )
    report_schedule = forms.ChoiceField(
        label=_("Report schedule"),
        choices=Contract.ReportSchedule.choices,
        help_text=_("A service report is due on the 5th working day after each period."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term_months"].help_text = _("From 1 to %(max)d months.") % {"max": MAX_TERM_MONTHS}

    @classmethod
    def for_contract(cls, contract: Contract, data=None):
        return cls(
            data,
            initial={
                "amount": contract.amount,
                "term_months": contract.term_months,
                "starts_on": contract.starts_on,
                "report_schedule": contract.report_schedule,
            },
        )


class ContractKpiForm(forms.Form):
    # A blank first choice, so that an untouched extra row counts as empty and is ignored.
    metric = forms.ChoiceField(label=_("Metric"), choices=[("", "—"), *KpiMetric.choices])
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("Any category")), *ServiceCategory.choices],
        required=False,
        help_text=_("For sessions and participant-visits: count only this category."),
    )
    label = forms.CharField(label=_("Label"), max_length=60, required=False, help_text=_("Needed for “Other”."))
    target = forms.DecimalField(label=_("Target"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    unit = forms.CharField(label=_("Unit"), max_length=20)

    def clean(self):
        data = super().clean()
        if data.get("metric") == KpiMetric.OTHER and not (data.get("label") or "").strip():
            self.add_error("label", _("Name the metric."))
        return data


class BaseContractKpiFormSet(forms.BaseFormSet):
    """Blank rows are ignored; ticked rows are removed."""

    def filled(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]

    def clean(self):
        if any(self.errors):
            return
        if not self.filled():
            raise ValidationError(_("Add at least one KPI target."))


ContractKpiFormSet = forms.formset_factory(
    ContractKpiForm, formset=BaseContractKpiFormSet, extra=1, can_delete=True, max_num=12, validate_max=True
)


class ReportReviewForm(forms.Form):
    ACCEPT, RETURN = "accept", "return"
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        initial=ACCEPT,
        choices=[(ACCEPT, _("Accept, with a score")), (RETURN, _("Return for revision, with comments"))],
    )
    score = forms.DecimalField(
        label=_("Score (0–100)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.5"}),
    )
    comment = forms.CharField(
        label=_("Comments"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to return the report; the provider reads them."),
    )
