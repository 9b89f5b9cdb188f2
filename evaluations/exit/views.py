"""The exit page (退出合作): why and when the partnership ended, what follows, and the handover.

The palace's staff (auditors included) and the exited provider read it. It shows the
cause (the final evaluation rated 差, or the termination review), the reason, the
exclusion and until when, the withheld milestone, the re-tender and where it stands,
and the handover checklist. The provider's users confirm each item handed over, the
palace's administrators each item taken over: each sees a form on the items still
waiting for their side, which posts to ``handover_confirm`` (one service call).
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.documents import documents_for_subject
from core.errors import DomainError
from core.models import IssuedDocument
from core.permissions import has_role
from core.viewmixins import apply_domain_error, deny_or_login
from evaluations.exit import services
from evaluations.exit.forms import HandoverConfirmForm
from evaluations.exit.history import provider_history as history_of
from evaluations.exit.models import Exit, HandoverItem
from evaluations.exit.permissions import (
    PALACE_SIDE,
    PROVIDER_SIDE,
    can_confirm_handover,
    can_view_exit,
    can_view_provider_history,
    handover_side,
)
from procurement.models import Provider, Recruitment
from procurement.permissions import can_view_provider, provider_of

EXIT_PAGE = "evaluations/exit/exit_detail.html"


def _exit_for_page(pk: int) -> Exit:
    return (
        Exit.objects.select_related(
            "contract__palace",
            "contract__provider",
            "contract__project",
            "final_evaluation",
            "termination_review",
            "exclusion",
            "withheld_milestone",
            "retender",
            "created_by",
        )
        .prefetch_related("handover_items__provider_confirmed_by", "handover_items__palace_confirmed_by")
        .get(pk=pk)
    )


def _cause_url(exit_: Exit) -> str | None:
    """The final evaluation's page, or the termination review's (None if that page is not mounted)."""
    try:
        if exit_.final_evaluation_id is not None:
            return reverse("evaluations:final_detail", args=[exit_.final_evaluation_id])
        return reverse("evaluations:termination_review", args=[exit_.termination_review_id])
    except NoReverseMatch:
        return None


def _retender_url(exit_: Exit, staff: bool) -> str | None:
    """Staff open the recruitment; the provider its public notice, once published."""
    retender = exit_.retender
    if retender is None:
        return None
    if staff:
        return reverse("procurement:recruitment_detail", args=[retender.pk])
    if retender.state != Recruitment.State.DRAFT:
        return reverse("notice_detail", args=[retender.pk])
    return None


def _status(exit_: Exit, side: str | None, items: list[HandoverItem]) -> str:
    """Where the handover stands, and what is next for this viewer."""
    if exit_.handover_completed_at is not None:
        return _("The handover was completed on %(date)s: every item was confirmed by both sides.") % {
            "date": f"{timezone.localdate(exit_.handover_completed_at):%Y-%m-%d}"
        }
    mine = [i for i in items if (i.provider_confirmed_at if side == PROVIDER_SIDE else i.palace_confirmed_at) is None]
    if side == PROVIDER_SIDE and mine:
        return _(
            "Hand over each item below to the palace and confirm it here: say what you handed over (the "
            "palace confirms the same record). %(count)d of 4 still wait for your confirmation."
        ) % {"count": len(mine)}
    if side == PALACE_SIDE and mine:
        return _(
            "Take over each item below from the provider and confirm it here. %(count)d of 4 still wait for "
            "the palace's confirmation."
        ) % {"count": len(mine)}
    return _(
        "The handover is under way: each item is confirmed by the provider, which hands it over, and by an "
        "administrator of the palace, which takes it over."
    )


def _exit_page(request, exit_: Exit, *, bound: HandoverConfirmForm | None = None, status: int = 200):
    user = request.user
    contract = exit_.contract
    staff = user.is_superuser or has_role(user, contract.palace_id)
    side = handover_side(user, exit_)
    items = list(exit_.handover_items.all())
    rows = []
    for item in items:
        form = None
        if can_confirm_handover(user, item):
            form = bound if bound is not None and bound.item.pk == item.pk else HandoverConfirmForm(item=item)
        rows.append(
            {
                "item": item,
                "form": form,
                "complete": item.provider_confirmed_at is not None and item.palace_confirmed_at is not None,
            }
        )
    confirmations = sum((i.provider_confirmed_at is not None) + (i.palace_confirmed_at is not None) for i in items)
    return TemplateResponse(
        request,
        EXIT_PAGE,
        {
            "exit": exit_,
            "contract": contract,
            "staff": staff,
            "side": side,
            "party": side == PROVIDER_SIDE,
            "rows": rows,
            "confirmations": confirmations,
            "confirmations_needed": 2 * len(items),
            "status": _status(exit_, side, items),
            "cause_url": _cause_url(exit_),
            "retender_url": _retender_url(exit_, staff),
            "notice": documents_for_subject(exit_).filter(kind=IssuedDocument.Kind.EXIT_NOTICE).first(),
            "page_title": _("Exit · %(contract)s") % {"contract": contract.number},
        },
        status=status,
    )


def _viewable(request, pk: int) -> Exit | None:
    exit_ = get_object_or_404(Exit.objects.select_related("contract"), pk=pk)
    return exit_ if can_view_exit(request.user, exit_) else None


def exit_detail(request, pk: int):
    if _viewable(request, pk) is None:
        return deny_or_login(request)
    return _exit_page(request, _exit_for_page(pk))


@require_POST
def handover_confirm(request, pk: int):
    """One side confirms one item of the checklist (``kind`` in the form) → ``services.handover_confirm``."""
    found = _viewable(request, pk)
    if found is None or handover_side(request.user, found) is None:
        return deny_or_login(request)
    exit_ = _exit_for_page(pk)
    item = get_object_or_404(HandoverItem, exit=exit_, kind=request.POST.get("kind", ""))
    form = HandoverConfirmForm(request.POST, item=item)
    if form.is_valid():
        try:
            services.handover_confirm(actor=request.user, item=item, note=form.cleaned_data["note"])
        except DomainError as exc:
            item.refresh_from_db()
            if not can_confirm_handover(request.user, item):  # confirmed meanwhile (another tab, a colleague)
                messages.error(request, str(exc))
                return redirect(reverse("evaluations:exit_detail", args=[pk]) + "#handover")
            apply_domain_error(form, exc)
        else:
            exit_.refresh_from_db()
            if exit_.handover_completed_at is not None:
                messages.success(
                    request, _("Confirmed. Every item is now confirmed by both sides: the handover is complete.")
                )
            else:
                messages.success(request, _("Confirmed: %(item)s.") % {"item": item.get_kind_display()})
            return redirect(reverse("evaluations:exit_detail", args=[pk]) + f"#item-{item.kind}")
    return _exit_page(request, _exit_for_page(pk), bound=form)


def provider_history(request, pk: int):
    if not request.user.is_authenticated:
        return deny_or_login(request)
    provider = get_object_or_404(Provider.objects.select_related("palace"), pk=pk)
    if not can_view_provider_history(request.user, provider):
        return deny_or_login(request)
    return TemplateResponse(
        request,
        "evaluations/history/provider_history.html",
        {
            "history": history_of(provider, user=request.user),
            "provider": provider,
            "own": provider_of(request.user) is not None,
            "can_view_profile": provider_of(request.user) is None and can_view_provider(request.user, provider),
        },
    )
