"""Forms of the provider's report page: the report itself, its activities, and the check-in import.

They parse input only. Whether a date lies in the period, whether a title may start
with "=", whether a file is really a PDF: those are the services' calls, and their
messages are the ones the provider reads.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from procurement.forms import MultipleFileField
from procurement.models import ServiceCategory

from .services import ActivityInput

# A typed list longer than this is not offered as a form: each row posts six fields and
# Django refuses a request of more than 1,000 (DATA_UPLOAD_MAX_NUMBER_FIELDS). Longer
# lists come from the check-in export and are replaced by importing it again.
FORMSET_MAX_ROWS = 100
EXTRA_ROWS = 3
# Far above any real session; it keeps a typo from reaching the database's integer limit.
MAX_PARTICIPANTS = 100_000

ATTACHMENT_TYPES = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
IMPORT_TYPES = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportForm(forms.Form):
    """The narrative, new attachments and the attachments to remove."""

    # Not required here: submitting without one is refused by the service, saving a draft is not.
    narrative = forms.CharField(
        label=_("Narrative"),
        required=False,
        max_length=20_000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What was delivered in the period, how it went, and anything the palace should know."),
    )
    # An empty file passes the form so that the service's own message names it.
    attachments = MultipleFileField(
        label=_("Add attachments"),
        required=False,
        allow_empty_file=True,
        help_text=_("Sign-in sheets, photos of the sessions. PDF, JPEG or PNG, at most 10 MB each."),
    )
    remove_attachments = forms.TypedMultipleChoiceField(
        label=_("Remove"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, on_file=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.on_file = list(on_file)
        self.fields["attachments"].widget.attrs.update({"accept": ATTACHMENT_TYPES})
        self.fields["remove_attachments"].choices = [(a.pk, a.file.original_name) for a in self.on_file]

    def attachment_rows(self) -> list[tuple]:
        """(attachment, ticked for removal) for each attachment on file, as the page lists them."""
        ticked = {str(v) for v in (self["remove_attachments"].value() or [])}
        return [(a, str(a.pk) in ticked) for a in self.on_file]


class ActivityForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *ServiceCategory.choices])
    place = forms.CharField(label=_("Room or place"), max_length=100)
    participants = forms.IntegerField(
        label=_("Participants"),
        min_value=0,
        max_value=MAX_PARTICIPANTS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 1}),
    )

    def as_input(self) -> ActivityInput:
        data = self.cleaned_data
        return ActivityInput(
            date=data["date"],
            title=data["title"],
            category=data["category"],
            place=data["place"],
            participants=data["participants"],
        )


class BaseActivityFormSet(forms.BaseFormSet):
    def activity_inputs(self) -> list[ActivityInput]:
        """The rows to save, in page order: filled in and not ticked for removal. Call after ``is_valid``."""
        deleted = set(map(id, self.deleted_forms))
        return [form.as_input() for form in self.forms if form.cleaned_data and id(form) not in deleted]


ActivityFormSet = forms.formset_factory(
    ActivityForm,
    formset=BaseActivityFormSet,
    extra=EXTRA_ROWS,
    can_delete=True,
    max_num=FORMSET_MAX_ROWS,
    validate_max=True,
    absolute_max=FORMSET_MAX_ROWS + EXTRA_ROWS,
)
ACTIVITY_PREFIX = "activities"


def activity_formset(data=None, *, activities=()) -> BaseActivityFormSet:
    initial = [
        {"date": a.date, "title": a.title, "category": a.category, "place": a.place, "participants": a.participants}
        for a in activities
    ]
    return ActivityFormSet(data, initial=initial or None, prefix=ACTIVITY_PREFIX)


def formset_posted(data) -> bool:
    """Whether the page's activity rows came with the post (an import or a bare save leaves them alone)."""
    return f"{ACTIVITY_PREFIX}-TOTAL_FORMS" in data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Check-in export (CSV or XLSX)"),
        error_messages={"required": _("Choose the check-in export file to import.")},
        widget=forms.FileInput(attrs={"accept": IMPORT_TYPES}),
    )
