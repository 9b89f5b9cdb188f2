"""The provider's side of a recruitment, in the portal: applying, withdrawing, resubmitting, objecting.

Thin views: the recruitment services decide every rule (deadline, eligibility,
documents, price, publicity) and their messages are what the provider reads.
A provider reaches only its own application; anyone else's answers 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.viewmixins import apply_domain_error, deny_or_login

from . import selectors_public as selectors
from .forms_applying import FIELDS_ONLY, ApplicationForm, ObjectionForm
from .models import Application, Provider, Recruitment
from .permissions import can_view_application, provider_of
from .services import applying, award


def _provider(request) -> Provider | None:
    return provider_of(request.user)


def _eligibility_problem(provider: Provider, recruitment: Recruitment) -> str:
    """What stops this provider applying, said in advance in the service's words ("" if nothing)."""
    if provider.status != Provider.Status.VERIFIED:
        return str(applying.ERR_NOT_VERIFIED)
    exclusion = applying.active_exclusion(provider, recruitment.palace_id, timezone.localdate())
    if exclusion is not None:
        return str(applying.ERR_EXCLUDED % {"until": exclusion.ends_on.isoformat(), "reason": exclusion.reason})
    return ""


def _public_recruitment(pk: int) -> Recruitment:
    try:
        return selectors.notice_detail(pk)
    except Recruitment.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def recruitments(request):
    provider = _provider(request)
    if provider is None:
        return deny_or_login(request)
    rows = selectors.open_recruitments_for(provider)
    for row in rows:
        row.recruitment.deadline_text = selectors.beijing_time(row.recruitment.deadline)
    excluded = {
        r.recruitment.palace_id: applying.active_exclusion(provider, r.recruitment.palace_id, timezone.localdate())
        for r in rows
    }
    return TemplateResponse(
        request,
        "procurement/applying/recruitments.html",
        {
            "rows": rows,
            "provider": provider,
            "excluded": {k: v for k, v in excluded.items() if v},
            "verified": provider.status == Provider.Status.VERIFIED,
        },
    )


@login_required
def applications(request):
    provider = _provider(request)
    if provider is None:
        return deny_or_login(request)
    return TemplateResponse(
        request,
        "procurement/applying/applications.html",
        {
            "applications": selectors.applications_of(provider),
            "provider": provider,
        },
    )


@login_required
def apply(request, pk: int):
    provider = _provider(request)
    if provider is None:
        return deny_or_login(request)
    recruitment = _public_recruitment(pk)
    application = selectors.own_application(provider, recruitment)
    on_file = {}
    if application is not None:
        application = selectors.application_with_documents(application.pk)
        on_file = {d.required_id: d for d in selectors.current_documents(application) if d.required_id}
    initial = {"proposal": application.proposal, "price": application.price} if application else None
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        recruitment=recruitment,
        on_file=on_file,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = applying.application_submit(
                actor=request.user,
                recruitment=recruitment,
                price=form.cleaned_data["price"],
                proposal=form.cleaned_data["proposal"] or "",
                files=form.application_files(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Version %(version)d of your application was received at %(time)s. "
                    "It stays sealed; you may withdraw or resubmit it until the deadline."
                )
                % {
                    "version": application.version,
                    "time": timezone.localtime(application.submitted_at).strftime("%Y-%m-%d %H:%M"),
                },
            )
            return redirect("portal:application_detail", pk=application.pk)
    recruitment.deadline_text = selectors.beijing_time(recruitment.deadline)
    return TemplateResponse(
        request,
        "procurement/applying/apply.html",
        {
            "recruitment": recruitment,
            "application": application,
            "form": form,
            "layout": FIELDS_ONLY,
            "accepting": selectors.accepting_applications(recruitment),
            "problem": _eligibility_problem(provider, recruitment),
            "extra_on_file": [d for d in selectors.current_documents(application) if not d.required_id]
            if application
            else [],
        },
    )


@login_required
def application_detail(request, pk: int):
    provider = _provider(request)
    if provider is None:
        return deny_or_login(request)
    application = get_object_or_404(Application.objects.select_related("recruitment"), pk=pk)
    if not can_view_application(request.user, application):
        return deny_or_login(request)
    application = selectors.application_with_documents(pk)
    recruitment = application.recruitment
    recruitment.deadline_text = selectors.beijing_time(recruitment.deadline)
    accepting = selectors.accepting_applications(recruitment)
    return TemplateResponse(
        request,
        "procurement/applying/application_detail.html",
        {
            "application": application,
            "recruitment": recruitment,
            "documents": selectors.current_documents(application),
            "accepting": accepting,
            "can_withdraw": accepting and application.state == Application.State.SUBMITTED,
            "can_object": recruitment.state == Recruitment.State.PUBLICITY
            and timezone.now() <= recruitment.publicity_ends_at,
            "publicity_ends_text": selectors.beijing_time(recruitment.publicity_ends_at),
            "result_public": recruitment.state in selectors.RESULT_STATES,
            "objections": application.objections.all(),
        },
    )


@login_required
@require_POST
def application_withdraw(request, pk: int):
    provider = _provider(request)
    if provider is None:
        return deny_or_login(request)
    application = get_object_or_404(Application, pk=pk)
    if application.provider_id != provider.pk:
        return deny_or_login(request)
    try:
        applying.application_withdraw(actor=request.user, application=application)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your application is withdrawn. You may submit it again until the deadline."))
    return redirect("portal:application_detail", pk=application.pk)


@login_required
def objection_lodge(request, pk: int):
    provider = _provider(request)
    if provider is None:
        return deny_or_login(request)
    recruitment = _public_recruitment(pk)
    application = selectors.own_application(provider, recruitment)
    # Said in advance so that nobody writes grounds in vain; the service checks again on posting.
    problem = award.objection_problem(recruitment, application, timezone.now())
    form = ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            award.objection_lodge(
                actor=request.user,
                recruitment=recruitment,
                grounds=form.cleaned_data["grounds"] or "",
                attachments=form.cleaned_data["attachments"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Your objection is lodged. The palace will answer it in writing; you will be notified."),
            )
            return redirect("portal:application_detail", pk=application.pk)
    return TemplateResponse(
        request,
        "procurement/applying/objection.html",
        {
            "recruitment": recruitment,
            "application": application,
            "form": form,
            "layout": FIELDS_ONLY,
            "problem": problem,
            "publicity_ends_text": selectors.beijing_time(recruitment.publicity_ends_at),
            "objections": application.objections.all() if application else [],
        },
    )
