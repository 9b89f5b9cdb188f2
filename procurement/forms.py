from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.models import Palace

from .credit_code import normalise, validate_credit_code
from .models import KpiMetric, Provider, ProviderDocument, ServiceCategory, ServiceProject


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ProviderSignupForm(forms.Form):
    """What a provider gives to register. Content checks happen in the service."""

    palace = forms.ModelChoiceField(
        label=_("Register with palace"),
        queryset=Palace.objects.all(),
        empty_label=_("Choose a palace"),
    )
    name = forms.CharField(label=_("Organisation name"), max_length=100)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        help_text=_("18 characters, as printed on the business licence or registration certificate."),
    )
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=50)
    contact_name = forms.CharField(label=_("Contact person"), max_length=50)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    categories = forms.MultipleChoiceField(
        label=_("Service categories"),
        choices=ServiceCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    licence = forms.FileField(
        label=_("Business licence or registration certificate"),
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
    )
    qualifications = MultipleFileField(
        label=_("Other qualification documents"),
        required=False,
        help_text=_("Optional. PDF, JPEG or PNG, at most 10 MB each."),
    )
    username = forms.RegexField(
        label=_("User name"),
        max_length=30,
        regex=r"^[A-Za-z0-9_.-]+$",
        error_messages={"invalid": _("Use letters, digits, dots, hyphens and underscores only.")},
    )
    full_name = forms.CharField(label=_("Your name"), max_length=50)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=128)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, max_length=128)

    def clean_credit_code(self):
        code = normalise(self.cleaned_data["credit_code"])
        validate_credit_code(code)
        return code

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class ProviderProfileForm(forms.Form):
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=50)
    contact_name = forms.CharField(label=_("Contact person"), max_length=50)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    categories = forms.MultipleChoiceField(
        label=_("Service categories"),
        choices=ServiceCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def for_provider(cls, provider: Provider, data=None):
        initial = {
            f: getattr(provider, f)
            for f in ["legal_representative", "contact_name", "contact_phone", "contact_email", "address"]
        }
        initial["categories"] = [c.category for c in provider.categories.all()]
        return cls(data=data, initial=initial)


class ProviderDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ProviderDocument.Kind.choices)
    files = MultipleFileField(label=_("Files"), help_text=_("PDF, JPEG or PNG, at most 10 MB each."))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("verify", _("Verify")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a rejection; the provider reads it."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for the rejection; the provider will read it."))
        return data


class ServiceProjectForm(forms.ModelForm):
    class Meta:
        model = ServiceProject
        fields = ["palace", "name", "category", "description", "budget", "term_months", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, palaces=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["palace"].queryset = palaces if palaces is not None else Palace.objects.none()
        self.fields["palace"].empty_label = None
        if palaces is not None and len(palaces) == 1:
            # An administrator of one palace has nothing to choose; the page names the palace.
            self.fields["palace"].initial = palaces[0].pk
            self.fields["palace"].widget = forms.HiddenInput()
        self.fields["description"].max_length = 5000
        if self.instance.pk:
            self.fields["palace"].disabled = True

    def validate_unique(self):
        # Uniqueness is the service's call, with a message of its own.
        pass


class KpiTargetForm(forms.Form):
    metric = forms.ChoiceField(label=_("Metric"), choices=KpiMetric.choices)
    label = forms.CharField(label=_("Label"), max_length=60, required=False, help_text=_("Needed for “Other”."))
    target = forms.DecimalField(label=_("Target"), max_digits=10, decimal_places=2, min_value=0.01)
    unit = forms.CharField(label=_("Unit"), max_length=20)

    def clean(self):
        data = super().clean()
        if data.get("metric") == KpiMetric.OTHER and not (data.get("label") or "").strip():
            self.add_error("label", _("Name the metric."))
        return data


class BaseKpiFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        filled = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not filled:
            raise ValidationError(_("Add at least one KPI target."))


KpiTargetFormSet = forms.formset_factory(
    KpiTargetForm, formset=BaseKpiFormSet, extra=1, can_delete=True, max_num=12, validate_max=True
)
