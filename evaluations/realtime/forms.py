"""Forms of the inspection, red-line, checklist and weights pages. They parse input; the services judge it.

A score's 0–100, a checklist's weights adding up to 100, the indicator weights adding up
to 100, whether a photo is really a JPEG: those are the services' rules. The forms only
hint them to the browser, so the page shows the service's own message.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Palace
from evaluations.realtime import scoring
from evaluations.realtime.models import ChecklistItem, ChecklistTemplate, Inspection, RedLine
from evaluations.realtime.services.inspections import ChecklistItemInput, ItemScoreInput
from procurement.forms import MultipleFileField
from procurement.models import ServiceCategory

# Phones offer the camera for image/*; the service checks each file's content whatever it is called.
EVIDENCE_ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"
EVIDENCE_HELP = _("Photos or scans: JPEG, PNG or PDF, at most 10 MB each. You may choose several.")
DATE_WIDGET = {"type": "date"}


def _date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"), **kwargs)


def _evidence_field(label) -> MultipleFileField:
    # An empty file passes the form so that the service's own message names it.
    field = MultipleFileField(label=label, required=False, allow_empty_file=True, help_text=EVIDENCE_HELP)
    field.widget.attrs.update({"accept": EVIDENCE_ACCEPT})
    return field


class ChecklistChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ChecklistTemplate) -> str:
        return f"{obj.name}（{obj.get_category_display()}）"


class InspectionAssignForm(forms.Form):
    checklist = ChecklistChoiceField(label=_("Checklist"), queryset=ChecklistTemplate.objects.none(), empty_label=None)
    inspector = forms.ModelChoiceField(label=_("Inspector"), queryset=None, empty_label=_("Choose an evaluator"))
    due_on = _date_field(_("Due on"), help_text=_("The inspection is listed as overdue after this day."))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Inspection.Kind.choices,
        initial=Inspection.Kind.SCHEDULED,
        widget=forms.RadioSelect,
        help_text=_(
            "The provider sees an inspection only once it is submitted, whatever "
            "its kind; a spot check is simply not arranged with the provider."
        ),
    )

    def __init__(self, *args, checklists, inspectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].queryset = checklists
        self.fields["inspector"].queryset = inspectors


class InspectionScoreForm(forms.Form):
    """One 0–100 score and a note per checklist item, the day, overall notes and photo evidence."""

    inspected_on = _date_field(_("Inspection date"))
    notes = forms.CharField(
        label=_("Overall notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you saw; the provider reads this once you submit."),
    )
    evidence = _evidence_field(_("Photo evidence"))

    def __init__(self, *args, items: list[ChecklistItem], **kwargs):
        kwargs.setdefault("initial", {"inspected_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            # Not required, no bounds: an empty or out-of-range score is refused by the service, with its message.
            self.fields[f"points_{item.pk}"] = forms.DecimalField(
                label=item.text,
                required=False,
                max_digits=6,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={
                        "min": 0,
                        "max": 100,
                        "step": "any",
                        "inputmode": "decimal",
                        "class": "hz-points",
                        "data-weight": f"{item.weight}",
                    }
                ),
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("Note"),
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"placeholder": _("What you saw (optional)")}),
            )

    def item_rows(self) -> list[dict]:
        return [
            {"item": item, "points": self[f"points_{item.pk}"], "note": self[f"note_{item.pk}"]} for item in self.items
        ]

    def item_inputs(self) -> dict[int, ItemScoreInput]:
        data = self.cleaned_data
        return {
            item.pk: ItemScoreInput(points=data.get(f"points_{item.pk}"), note=data.get(f"note_{item.pk}") or "")
            for item in self.items
        }


class RedLineForm(forms.Form):
    category = forms.ChoiceField(label=_("Kind of violation"), choices=[("", "—"), *RedLine.Category.choices])
    occurred_on = _date_field(_("Occurred on"))
    description = forms.CharField(
        label=_("What happened"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Who, what, where, and how it was found. The provider reads this in the rectification order."),
    )
    evidence = _evidence_field(_("Evidence"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"occurred_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


# --- checklists --------------------------------------------------------------------------------


class ChecklistForm(forms.Form):
    palace = forms.ModelChoiceField(label=_("Palace"), queryset=Palace.objects.none(), empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=100)
    category = forms.ChoiceField(
        label=_("Service category"),
        choices=ServiceCategory.choices,
        help_text=_("An inspection of a contract offers the checklists of its project's category first."),
    )

    def __init__(self, *args, palaces: list[Palace], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["palace"].queryset = Palace.objects.filter(pk__in=[p.pk for p in palaces]).order_by("name")
        if len(palaces) == 1:
            self.fields["palace"].initial = palaces[0].pk
            self.fields["palace"].widget = forms.HiddenInput()


class ChecklistItemForm(forms.Form):
    text = forms.CharField(
        label=_("Item"), max_length=200, widget=forms.TextInput(attrs={"placeholder": _("What the inspector checks")})
    )
    weight = forms.DecimalField(
        label=_("Weight"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": "0.01", "max": 100, "step": "any", "class": "hz-weight"}),
    )


class BaseChecklistItemFormSet(forms.BaseFormSet):
    """Blank rows are ignored; ticked rows are removed."""

    def filled(self) -> list[dict]:
        deleted = set(map(id, self.deleted_forms))
        return [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and id(f) not in deleted and not f.cleaned_data.get("DELETE")
        ]

    def item_inputs(self) -> list[ChecklistItemInput]:
        return [ChecklistItemInput(text=row["text"], weight=row["weight"]) for row in self.filled()]

    def weight_total(self) -> Decimal:
        """The weights typed so far, for the page to show beside the rule (valid rows only)."""
        total = Decimal(0)
        for f in self.forms:
            if f.is_valid() and f.cleaned_data.get("weight") and not f.cleaned_data.get("DELETE"):
                total += f.cleaned_data["weight"]
        return total


ChecklistItemFormSet = forms.formset_factory(
    ChecklistItemForm, formset=BaseChecklistItemFormSet, extra=0, can_delete=True, max_num=40, validate_max=True
)

CHECKLIST_STARTER = [{"text": "", "weight": None} for _ in range(4)]


# --- weights -----------------------------------------------------------------------------------


class WeightsForm(forms.Form):
    """Whole-number weights; the service refuses any set that does not add up to 100."""

    palace = forms.IntegerField(widget=forms.HiddenInput(), required=False)  # the view chooses the palace

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            scoring.INSPECTIONS: _("Inspections"),
            scoring.REPORTS: _("Report review"),
            scoring.SATISFACTION: _("Worker satisfaction"),
            scoring.KPI: _("KPI progress"),
        }
        for name in scoring.INDICATORS:
            self.fields[name] = forms.IntegerField(
                label=labels[name],
                widget=forms.NumberInput(
                    attrs={"min": 0, "max": 100, "step": 1, "inputmode": "numeric", "class": "hz-weight"}
                ),
            )

    def clean(self):
        data = super().clean()
        if any(name in self.errors for name in scoring.INDICATORS):
            raise ValidationError(_("Give each weight as a whole number."))
        return data

    def indicator_fields(self):
        return [self[name] for name in scoring.INDICATORS]
