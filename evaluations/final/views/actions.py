"""The final evaluation's forms: the provider's appeal, and the administrator's decisions (the
appeal, sign-off, a second confirmation of a 差, renewal) and the palace's weights. Each calls
one service; a refusal comes back as the service's message on the evaluation's page.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contracts.models import Contract
from contracts.permissions import is_party
from core.errors import DomainError
from core.models import Palace, Role
from core.permissions import has_role, palace_ids
from core.viewmixins import apply_domain_error, deny_or_login
from evaluations.final import selectors as selectors
from evaluations.final.forms import AppealDecisionForm, AppealForm, FinalWeightsForm
from evaluations.final.models import (
    Appeal,
    FinalEvaluation,
    FinalWeights,
)
from evaluations.final.permissions import (
    can_appeal_final,
    can_decide_appeal,
    can_manage_final_weights,
    is_final_admin,
)
from evaluations.final.services import appeal as services_appeal
from evaluations.final.services import evaluation as services
from evaluations.final.services import renewal as services_renewal
from evaluations.final.services.settings import final_weights_update
from evaluations.final.tables import rating_chip
from evaluations.final.views.evaluation import (
    TEMPLATES,
    State,
    _appeal_window,
    _day,
    _for_page,
    _page,
    _rating,
    _to_page,
    _viewable,
    _window_text,
)

ERR_NO_APPEAL = gettext_lazy("There is no appeal to decide: the provider has not appealed the proposed rating.")


def final_appeal(request, pk: int):
    """The appeal form (GET) and the appeal (POST) → ``services_appeal.appeal_lodge``."""
    found = _viewable(request, pk)
    if found is None or not is_party(request.user, found.contract):
        return deny_or_login(request)
    ev = _for_page(pk)
    today = timezone.localdate()
    window = _appeal_window(ev, today)
    bound = request.method == "POST"
    if not bound and not (window and window["open"] and getattr(ev, "appeal", None) is None):
        messages.error(request, _refusal(ev))  # the window has closed, or the appeal is made: say which
        return _to_page(ev)
    form = AppealForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and form.is_valid():
        try:
            services_appeal.appeal_lodge(
                actor=request.user,
                evaluation=ev,
                grounds=form.cleaned_data["grounds"],
                evidence=form.cleaned_data["evidence"],
            )
        except DomainError as exc:
            ev = _for_page(pk)
            if not can_appeal_final(request.user, ev) or not (window and window["open"]):
                messages.error(request, str(exc))  # no longer appealable: say why on the page as it is now
                return _to_page(ev)
            apply_domain_error(form, exc, request)
            if request.FILES:
                messages.warning(
                    request, _("Nothing was saved, so the files you chose were not kept: choose them again.")
                )
        else:
            messages.success(
                request,
                _(
                    "Your appeal is lodged. The palace's administrator decides it and gives the "
                    "reason; you will be notified."
                ),
            )
            return _to_page(ev)
    breakdown = selectors.final_breakdown(ev)
    return TemplateResponse(
        request,
        TEMPLATES + "appeal.html",
        {
            "ev": ev,
            "contract": ev.contract,
            "form": form,
            "breakdown": breakdown,
            "window": window,
            "window_text": _window_text(window),
            "rating_chip": rating_chip(ev.proposed_rating),
            "page_title": _("Appeal · %(contract)s") % {"contract": ev.contract.number},
        },
    )


def _refusal(ev: FinalEvaluation) -> str:
    """Why the provider cannot appeal now, in the service's words."""
    appeal = getattr(ev, "appeal", None)
    if appeal is not None:
        return str(services_appeal.ERR_APPEAL_ONCE % {"date": _day(appeal.lodged_at)})
    if ev.appeal_deadline is None:
        return str(services_appeal.ERR_NOT_PROPOSED)
    return str(services_appeal.ERR_APPEAL_CLOSED % {"date": _day(ev.appeal_deadline)})


def _admin_evaluation(request, pk: int) -> FinalEvaluation | None:
    found = _viewable(request, pk)
    return found if found is not None and is_final_admin(request.user, found) else None


@require_POST
def final_appeal_decide(request, pk: int):
    """Uphold or adjust, with a reason → ``services_appeal.appeal_decide``."""
    if _admin_evaluation(request, pk) is None:
        return deny_or_login(request)
    ev = _for_page(pk)
    appeal = getattr(ev, "appeal", None)
    if appeal is None or not can_decide_appeal(request.user, ev):
        messages.error(request, str(services_appeal.ERR_APPEAL_DECIDED if appeal else ERR_NO_APPEAL))
        return _to_page(ev)
    form = AppealDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            appeal = services_appeal.appeal_decide(
                actor=request.user,
                appeal=appeal,
                decision=data["decision"],
                reason=data["reason"],
                adjusted_total=data["adjusted_total"],
            )
        except DomainError as exc:
            ev = _for_page(pk)
            if not can_decide_appeal(request.user, ev):
                messages.error(request, str(exc))
                return _to_page(ev)
            apply_domain_error(form, exc)
        else:
            if appeal.decision == Appeal.Decision.ADJUSTED:
                messages.success(
                    request,
                    _(
                        "Decided: the points are adjusted to %(total)s. The provider is "
                        "notified; the rating now waits for sign-off."
                    )
                    % {"total": f"{appeal.adjusted_total:.2f}"},
                )
            else:
                messages.success(
                    request,
                    _(
                        "Decided: the proposed rating is upheld. The provider is notified; the "
                        "rating now waits for sign-off."
                    ),
                )
            return _to_page(ev, "#sign-off")
    return _page(request, ev, decide_form=form)


def _act(request, pk: int, action, done) -> object:
    """Run one of the administrator's one-button actions; a refusal is shown on the page."""
    if _admin_evaluation(request, pk) is None:
        return deny_or_login(request)
    ev = _for_page(pk)
    try:
        result = action(actor=request.user, evaluation=ev)
    except DomainError as exc:
        messages.error(request, str(exc))
        return _to_page(ev)
    return done(result)


@require_POST
def final_sign_off(request, pk: int):
    def done(ev):
        if ev.state == State.CONFIRMING:
            messages.warning(
                request,
                _(
                    "Signed off. A 差 ends the partnership, so it now awaits confirmation by "
                    "another administrator of the palace; they are notified."
                ),
            )
        else:
            messages.success(
                request,
                _(
                    "Signed off: the rating %(rating)s is final. The assessment report is "
                    "issued and the provider is notified."
                )
                % {"rating": _rating(ev.rating)},
            )
        return _to_page(ev)

    return _act(request, pk, services.final_sign_off, done)


@require_POST
def final_confirm(request, pk: int):
    def done(ev):
        messages.success(
            request,
            _(
                "Confirmed: the rating 差 is final. The contract is terminated and the exit "
                "begins; the provider is notified."
            ),
        )
        return _to_page(ev)

    return _act(request, pk, services.final_confirm, done)


@require_POST
def final_renew(request, pk: int):
    def done(renewal: Contract):
        messages.success(
            request,
            _(
                "Renewed: contract %(number)s is drafted for the new term, from %(date)s. Review "
                "it and sign it for the palace; the provider then accepts it."
            )
            % {"number": renewal.number, "date": _day(renewal.starts_on)},
        )
        return redirect("contracts:contract_detail", pk=renewal.pk)

    return _act(request, pk, services_renewal.final_renew, done)


def final_weights(request):
    """The palace's administrators change the weights and the exclusion; its other staff read them."""
    user = request.user
    if not user.is_authenticated or user.is_superuser or not palace_ids(user):
        return deny_or_login(request)
    palaces = list(Palace.objects.filter(pk__in=palace_ids(user)).order_by("name"))
    bound = request.method == "POST"
    chosen = (request.POST if bound else request.GET).get("palace")
    by_pk = {str(p.pk): p for p in palaces}
    if chosen and chosen not in by_pk:
        raise PermissionDenied
    palace = by_pk.get(chosen) or next((p for p in palaces if has_role(user, p.pk, Role.ADMIN)), palaces[0])
    editable = can_manage_final_weights(user, palace.pk)
    if bound and not editable:
        raise PermissionDenied
    current = FinalWeights.objects.filter(palace=palace).first()
    values = {
        name: getattr(current, name) if current else FinalWeights._meta.get_field(name).default
        for name in ("period_scores", "kpi", "satisfaction", "panel", "exclusion_years")
    }
    form = FinalWeightsForm(request.POST if bound else None, initial=values) if editable else None
    if bound and form.is_valid():
        try:
            final_weights_update(
                actor=user, palace=palace, exclusion_years=form.cleaned_data["exclusion_years"], **form.weights()
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The final evaluation weights of %(palace)s are saved. They apply to final "
                    "evaluations opened from now on; those already open keep theirs."
                )
                % {"palace": palace.name},
            )
            return redirect(reverse("evaluations:final_weights") + f"?palace={palace.pk}")
    return TemplateResponse(
        request,
        TEMPLATES + "weights.html",
        {
            "palace": palace,
            "palaces": palaces,
            "values": values,
            "is_default": current is None,
            "form": form,
            "editable": editable,
            "errors": [str(e) for e in form.non_field_errors()] if bound else [],
            "page_title": _("Final evaluation weights"),
        },
    )
