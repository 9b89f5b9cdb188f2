"""Forms of the recruitment pages. They parse input; the services judge it."""

from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Criterion, Declaration, Objection, ScoreCorrection

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_DEADLINE_TIME = time(17, 0)

# A starting point for a service recruitment; the administrator edits it freely.
SUGGESTED_CRITERIA = [
    {
        "name": _("Service proposal"),
        "max_points": Decimal(40),
        "kind": Criterion.Kind.SUBJECTIVE,
        "description": _("Completeness and feasibility of the plan, fit with the workers' needs."),
    },
    {
        "name": _("Team and qualifications"),
        "max_points": Decimal(20),
        "kind": Criterion.Kind.SUBJECTIVE,
        "description": _("Qualified trainers and staff, stability of the team."),
    },
    {
        "name": _("Track record"),
        "max_points": Decimal(20),
        "kind": Criterion.Kind.SUBJECTIVE,
        "description": _("Similar services delivered in the last three years."),
    },
    {
        "name": _("Price"),
        "max_points": Decimal(20),
        "kind": Criterion.Kind.PRICE,
        "description": _("Lowest valid price ÷ this price × the price weight."),
    },
]
SUGGESTED_DOCUMENTS = [{"name": _("Business licence or registration certificate")}, {"name": _("Service proposal")}]


class RecruitmentForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Service project"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=150)
    description = forms.CharField(
        label=_("Notice"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the service is and what the provider will do."),
    )
    eligibility = forms.CharField(
        label=_("Eligibility requirements"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    budget_ceiling = forms.DecimalField(
        label=_("Price ceiling (CNY)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Prices above it make an application invalid."),
    )
    panel_size = forms.IntegerField(
        label=_("Panel size"),
        min_value=3,
        max_value=15,
        initial=5,
        help_text=_("An odd number of evaluators, at least 3."),
    )
    deadline_date = forms.DateField(label=_("Deadline date"), widget=forms.DateInput(attrs={"type": "date"}))
    deadline_time = forms.TimeField(
        label=_("Deadline time (Beijing time)"),
        initial=DEFAULT_DEADLINE_TIME,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args, projects=None, recruitment=None, **kwargs):
        if recruitment is not None:
            local = recruitment.deadline.astimezone(SHANGHAI) if recruitment.deadline else None
            kwargs.setdefault("initial", {}).update(
                {
                    "project": recruitment.project_id,
                    "title": recruitment.title,
                    "description": recruitment.description,
                    "eligibility": recruitment.eligibility,
                    "budget_ceiling": recruitment.budget_ceiling,
                    "panel_size": recruitment.panel_size,
                    "deadline_date": local.date() if local else None,
                    "deadline_time": local.time().replace(second=0, microsecond=0) if local else DEFAULT_DEADLINE_TIME,
                }
            )
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        if recruitment is not None:
            self.fields["project"].disabled = True
            self.fields["project"].help_text = _("A recruitment stays with its service project.")

    @property
    def deadline(self) -> datetime:
        """The deadline as the administrator meant it: a wall-clock time in Beijing."""
        data = self.cleaned_data
        return datetime.combine(data["deadline_date"], data["deadline_time"]).replace(tzinfo=SHANGHAI)


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("Criterion"), max_length=100)
    description = forms.CharField(label=_("What earns the points"), max_length=1000, required=False)
    max_points = forms.DecimalField(
        label=_("Weight (maximum points)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Criterion.Kind.choices, initial=Criterion.Kind.SUBJECTIVE)


class BaseRowsFormSet(forms.BaseFormSet):
    """Rows left blank are ignored; a filled last row adds another on the next save."""

    def filled(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


class BaseCriterionFormSet(BaseRowsFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.filled():
            raise ValidationError(_("Add the scoring criteria."))


CriterionFormSet = forms.formset_factory(
    CriterionForm, formset=BaseCriterionFormSet, extra=1, can_delete=True, max_num=20, validate_max=True
)


class RequiredDocumentForm(forms.Form):
    name = forms.CharField(label=_("Required document"), max_length=100)


RequiredDocumentFormSet = forms.formset_factory(
    RequiredDocumentForm, formset=BaseRowsFormSet, extra=1, can_delete=True, max_num=20, validate_max=True
)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The applicants are told this reason."),
    )


class PanelAssignForm(forms.Form):
    evaluators = forms.ModelMultipleChoiceField(
        label=_("Evaluators"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, evaluators=None, panel_size: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluators"].queryset = evaluators
        self.fields["evaluators"].help_text = _("Choose exactly %(size)d.") % {"size": panel_size}


class ReplaceForm(forms.Form):
    evaluator = forms.ModelChoiceField(label=_("Replacement evaluator"), queryset=None)

    def __init__(self, *args, evaluators=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluator"].queryset = evaluators


class CorrectionRequestForm(forms.Form):
    score = forms.ModelChoiceField(label=_("Score to correct"), queryset=None)
    corrected_points = forms.DecimalField(label=_("Corrected points"), max_digits=5, decimal_places=2)
    reason = forms.ChoiceField(label=_("Reason code"), choices=ScoreCorrection.Reason.choices)
    justification = forms.CharField(label=_("Justification"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, scores=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].queryset = scores
        self.fields["score"].label_from_instance = lambda s: (
            f"{s.member.evaluator} · {s.application.provider} · {s.criterion.name}: {s.points}"
        )


class CorrectionDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect, choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class AwardForm(forms.Form):
    application = forms.ModelChoiceField(
        label=_("Proposed provider"), queryset=None, empty_label=None, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason, if not the top-ranked applicant"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, applications=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = applications
        self.fields["application"].label_from_instance = lambda a: (
            _("No. %(rank)s · %(name)s · %(total)s points") % {"rank": a.rank, "name": a.provider, "total": a.total}
        )


class ObjectionAnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[("rejected", Objection.State.REJECTED.label), ("upheld", Objection.State.UPHELD.label)],
    )
    answer = forms.CharField(
        label=_("Answer"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The applicant reads this answer."),
    )
    outcome = forms.ChoiceField(label=_("If upheld"), required=False, choices=[("", "—"), *Objection.Outcome.choices])


# --- the panel seat --------------------------------------------------------------------------------


class DeclarationForm(forms.Form):
    """One conflict choice and a note per valid applicant: names only, nothing else yet."""

    def __init__(self, *args, applications=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for application in applications:
            conflict = forms.ChoiceField(
                label=str(application.provider),
                choices=Declaration.Conflict.choices,
                initial=Declaration.Conflict.NONE,
                widget=forms.RadioSelect,
            )
            note = forms.CharField(label=_("Details"), required=False, max_length=500)
            self.fields[f"conflict_{application.pk}"] = conflict
            self.fields[f"note_{application.pk}"] = note
            self.rows.append((application, self[f"conflict_{application.pk}"], self[f"note_{application.pk}"]))

    def conflicts(self) -> dict[int, tuple[str, str]]:
        return {
            a.pk: (self.cleaned_data[f"conflict_{a.pk}"], self.cleaned_data[f"note_{a.pk}"]) for a, _c, _n in self.rows
        }


class ScoreSheetForm(forms.Form):
    """Applicants × subjective criteria. The range is the service's to judge; the browser only hints."""

    def __init__(self, *args, applications=(), criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for application in applications:
            cells = []
            for criterion in criteria:
                key = f"{application.pk}_{criterion.pk}"
                self.fields[f"points_{key}"] = forms.DecimalField(
                    label=criterion.name,
                    max_digits=5,
                    decimal_places=2,
                    widget=forms.NumberInput(
                        attrs={
                            "min": "0",
                            "max": f"{criterion.max_points.normalize():f}",
                            "step": "0.01",
                            "class": "hz-points",
                        }
                    ),
                )
                self.fields[f"comment_{key}"] = forms.CharField(label=_("Comment"), required=False, max_length=1000)
                cells.append((criterion, self[f"points_{key}"], self[f"comment_{key}"]))
            self.rows.append((application, cells))

    def sheet(self) -> list[tuple[int, int, Decimal, str]]:
        return [
            (a.pk, c.pk, self.cleaned_data[f"points_{a.pk}_{c.pk}"], self.cleaned_data[f"comment_{a.pk}_{c.pk}"])
            for a, cells in self.rows
            for c, _p, _c in cells
        ]


class JustificationForm(forms.Form):
    def __init__(self, *args, scores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for score in scores:
            self.fields[f"why_{score.pk}"] = forms.CharField(
                label=_("Justification"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.rows.append((score, self[f"why_{score.pk}"]))

    def justifications(self) -> dict[int, str]:
        return {s.pk: self.cleaned_data[f"why_{s.pk}"] for s, _f in self.rows}
