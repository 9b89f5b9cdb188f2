"""Forms of the provider's side of a recruitment: the application and the objection.

They parse input only. Whether a price, a document or a moment is acceptable is
the service's call, so its message is the one the provider reads.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from viewflow.forms.renderers import FormLayout

from .forms import MultipleFileField
from .models import ApplicationDocument, Recruitment
from .services.applying import ApplicationFile

FILE_HELP = _("PDF, JPEG or PNG, at most 10 MB.")


class FieldsLayout(FormLayout):
    """viewflow's layout without its own list of form-wide errors: the page shows them, styled,
    above the form (and also when the form is no longer offered, e.g. after the deadline)."""

    def append_non_field_errors(self, form, root):
        pass


FIELDS_ONLY = FieldsLayout()


class ApplicationForm(forms.Form):
    """Proposal, price, one file field per required document and optional extra documents."""

    # Required on the page (the asterisk) but not by the form: the service says what is
    # missing in its own words. The page's form is ``novalidate``.
    proposal = forms.CharField(
        label=_("Service proposal"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8, "required": True}),
        help_text=_("How you will deliver the service: team, schedule, venues, how you will reach the KPI targets."),
    )
    # No minimum here: the service refuses a price of zero or below with its own message.
    price = forms.DecimalField(
        label=_("Price (CNY)"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(
        self,
        *args,
        recruitment: Recruitment,
        on_file: dict[int, ApplicationDocument] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.recruitment = recruitment
        self.on_file = on_file or {}
        self.fields["price"].help_text = _("At most the ceiling of %(ceiling)s.") % {
            "ceiling": f"¥{recruitment.budget_ceiling:,.2f}"
        }
        self.document_fields = []
        for doc in recruitment.required_documents.all():
            name = f"document_{doc.pk}"
            current = self.on_file.get(doc.pk)
            help_text = FILE_HELP
            if current is not None:
                help_text = _("On file: %(name)s. Choose a file only to replace it.") % {
                    "name": current.file.original_name
                }
            # Not required by the form: the service names a missing document itself.
            self.fields[name] = forms.FileField(
                label=doc.name,
                required=False,
                help_text=help_text,
                widget=forms.FileInput(attrs={"required": current is None}),
            )
            self.document_fields.append((doc, current, name))
        self.fields["extra"] = MultipleFileField(
            label=_("Other supporting documents"),
            required=False,
            help_text=_("Optional. PDF, JPEG or PNG, at most 10 MB each."),
        )

    def application_files(self) -> list[ApplicationFile]:
        files = [
            ApplicationFile(doc.pk, self.cleaned_data[name])
            for doc, _current, name in self.document_fields
            if self.cleaned_data.get(name)
        ]
        files += [ApplicationFile(None, f) for f in self.cleaned_data.get("extra") or []]
        return files


class ObjectionForm(forms.Form):
    grounds = forms.CharField(
        label=_("Grounds of the objection"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What you object to in the result and why, with the facts that support it."),
    )
    attachments = MultipleFileField(
        label=_("Supporting documents"),
        required=False,
        help_text=_("Optional. PDF, JPEG or PNG, at most 10 MB each."),
    )
