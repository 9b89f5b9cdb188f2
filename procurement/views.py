"""Thin views: parse, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.models import Role
from core.permissions import palace_ids
from core.registry import page_sections
from core.tables import FilteredTableView
from core.viewmixins import apply_domain_error, deny_or_login

from . import selectors
from .filters import ProviderFilter, ServiceProjectFilter
from .forms import (
    KpiTargetFormSet,
    ProviderDocumentForm,
    ProviderProfileForm,
    ProviderSignupForm,
    ReviewForm,
    ServiceProjectForm,
)
from .models import Provider, ProviderDocument, ServiceProject
from .permissions import (
    can_edit_service_project,
    can_review_provider,
    can_review_registrations,
    can_view_provider,
    can_view_service_project,
    provider_of,
)
from .services import providers
from .tables import ProviderTable, ServiceProjectTable

# --- public sign-up -----------------------------------------------------------------------


def provider_signup(request):
    if request.user.is_authenticated:
        messages.info(request, _("You are already logged in."))
        return redirect("home")
    form = ProviderSignupForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        documents = [providers.DocumentUpload(ProviderDocument.Kind.LICENCE, data["licence"])]
        documents += [providers.DocumentUpload(ProviderDocument.Kind.QUALIFICATION, f) for f in data["qualifications"]]
        try:
            provider = providers.provider_register(
                username=data["username"],
                password=data["password1"],
                email=data["contact_email"],
                full_name=data["full_name"],
                palace=data["palace"],
                name=data["name"],
                credit_code=data["credit_code"],
                legal_representative=data["legal_representative"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                contact_email=data["contact_email"],
                address=data["address"],
                categories=data["categories"],
                documents=documents,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            user = provider.users.get().user
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("provider_signup_done")
    return render(request, "public/provider_signup.html", {"form": form})


def provider_signup_done(request):
    return render(request, "public/provider_signup_done.html")


# --- staff: providers ---------------------------------------------------------------------


class ProviderListView(FilteredTableView):
    table_class = ProviderTable
    filterset_class = ProviderFilter
    page_title = gettext_lazy("Providers")
    export_name = "providers"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not (
            request.user.is_superuser or palace_ids(request.user, Role.ADMIN, Role.AUDITOR)
        ):
            return deny_or_login(request)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.providers_for(self.request.user)


def provider_detail(request, pk: int):
    provider = get_object_or_404(Provider, pk=pk)
    if not can_view_provider(request.user, provider) or provider_of(request.user) is not None:
        return deny_or_login(request)
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not can_review_registrations(request.user, provider.palace_id):
            return deny_or_login(request)
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "verify":
                    providers.provider_verify(actor=request.user, provider=provider, reason=form.cleaned_data["reason"])
                    messages.success(request, _("%(name)s is verified.") % {"name": provider.name})
                else:
                    providers.provider_reject(actor=request.user, provider=provider, reason=form.cleaned_data["reason"])
                    messages.success(request, _("%(name)s was rejected.") % {"name": provider.name})
                return redirect("procurement:provider_detail", pk=provider.pk)
            except DomainError as exc:
                apply_domain_error(form, exc, request)
    provider = selectors.provider_detail(pk)
    return TemplateResponse(
        request,
        "procurement/provider_detail.html",
        {
            "provider": provider,
            "form": form,
            "can_review": can_review_provider(request.user, provider),
            "page_sections": page_sections("procurement.provider_detail", request, provider),
        },
    )


# --- staff: service projects --------------------------------------------------------------


class ServiceProjectListView(FilteredTableView):
    table_class = ServiceProjectTable
    filterset_class = ServiceProjectFilter
    page_title = gettext_lazy("Service projects")
    export_name = "service-projects"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not (request.user.is_superuser or palace_ids(request.user)):
            return deny_or_login(request)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.service_projects_for(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["palaces"] = selectors.palaces_for(self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if selectors.palaces_for(self.request.user, Role.ADMIN).exists():
            ctx["create_url"] = reverse("procurement:project_create")
            ctx["create_label"] = _("New service project")
        return ctx


def _kpi_inputs(formset) -> list[providers.KpiTargetInput]:
    return [
        providers.KpiTargetInput(
            metric=f.cleaned_data["metric"],
            target=f.cleaned_data["target"],
            unit=f.cleaned_data["unit"],
            label=f.cleaned_data.get("label") or "",
        )
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


def _project_form_page(request, *, project: ServiceProject | None):
    palaces = selectors.palaces_for(request.user, Role.ADMIN)
    if project is None and not palaces.exists():
        return deny_or_login(request)
    initial_kpis = (
        [{"metric": k.metric, "label": k.label, "target": k.target, "unit": k.unit} for k in project.kpi_targets.all()]
        if project
        else None
    )
    form = ServiceProjectForm(request.POST or None, instance=project, palaces=palaces)
    formset = KpiTargetFormSet(request.POST or None, initial=initial_kpis, prefix="kpi")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            if project is None:
                project = providers.service_project_create(
                    actor=request.user,
                    palace=data["palace"],
                    name=data["name"],
                    category=data["category"],
                    description=data["description"],
                    budget=data["budget"],
                    term_months=data["term_months"],
                    kpi_targets=_kpi_inputs(formset),
                )
            else:
                project = providers.service_project_update(
                    actor=request.user,
                    project=project,
                    name=data["name"],
                    category=data["category"],
                    description=data["description"],
                    budget=data["budget"],
                    term_months=data["term_months"],
                    is_active=data["is_active"],
                    kpi_targets=_kpi_inputs(formset),
                )
        except DomainError as exc:
            apply_domain_error(form, exc, request)
        else:
            messages.success(request, _("Saved “%(name)s”.") % {"name": project.name})
            return redirect("procurement:project_detail", pk=project.pk)
    return TemplateResponse(
        request, "procurement/project_form.html", {"form": form, "formset": formset, "project": project}
    )


def project_create(request):
    if not request.user.is_authenticated:
        return deny_or_login(request)
    return _project_form_page(request, project=None)


def project_edit(request, pk: int):
    project = get_object_or_404(ServiceProject, pk=pk)
    if not can_edit_service_project(request.user, project):
        return deny_or_login(request)
    return _project_form_page(request, project=project)


def project_detail(request, pk: int):
    project = get_object_or_404(ServiceProject, pk=pk)
    if not can_view_service_project(request.user, project):
        return deny_or_login(request)
    project = selectors.service_projects_for(request.user).get(pk=pk)
    return TemplateResponse(
        request,
        "procurement/project_detail.html",
        {
            "project": project,
            "can_edit": can_edit_service_project(request.user, project),
        },
    )


# --- provider portal ----------------------------------------------------------------------


def _own_provider(request) -> Provider | None:
    return provider_of(request.user)


@login_required
def organisation(request):
    provider = _own_provider(request)
    if provider is None:
        return deny_or_login(request)
    provider = selectors.provider_detail(provider.pk)
    return TemplateResponse(
        request,
        "procurement/organisation.html",
        {
            "provider": provider,
            "document_form": ProviderDocumentForm(),
            "page_sections": page_sections("procurement.organisation", request, provider),
        },
    )


@login_required
def organisation_edit(request):
    provider = _own_provider(request)
    if provider is None:
        return deny_or_login(request)
    form = ProviderProfileForm.for_provider(provider, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        categories = data.pop("categories")
        try:
            providers.provider_update_profile(actor=request.user, provider=provider, categories=categories, **data)
        except DomainError as exc:
            apply_domain_error(form, exc, request)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("portal:organisation")
    return TemplateResponse(request, "procurement/organisation_edit.html", {"form": form, "provider": provider})


@login_required
@require_POST
def organisation_documents(request):
    provider = _own_provider(request)
    if provider is None:
        return deny_or_login(request)
    form = ProviderDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            providers.provider_add_documents(
                actor=request.user,
                provider=provider,
                documents=[providers.DocumentUpload(form.cleaned_data["kind"], f) for f in form.cleaned_data["files"]],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The documents are attached."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("portal:organisation")


@login_required
@require_POST
def organisation_resubmit(request):
    provider = _own_provider(request)
    if provider is None:
        return deny_or_login(request)
    try:
        providers.provider_resubmit(actor=request.user, provider=provider)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your registration is sent for verification again."))
    return redirect("portal:organisation")
