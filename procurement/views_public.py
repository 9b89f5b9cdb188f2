"""The public notice board (no login): recruitment notices and publicised results."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from core.models import Palace

from . import selectors_public as selectors
from .models import Criterion, Provider, Recruitment
from .permissions import provider_of


def notices(request):
    now = timezone.now()
    palaces = list(selectors.notice_palaces(now))
    palace = next((p for p in palaces if p.code == request.GET.get("palace")), None)
    kind = request.GET.get("kind") if request.GET.get("kind") in ("open", "results") else ""
    page = Paginator(selectors.notice_board(palace=palace, kind=kind, now=now), selectors.NOTICES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for recruitment in page:
        _decorate(recruitment, now)
    return render(
        request,
        "public/notices.html",
        {
            "page": page,
            "palaces": palaces,
            "palace": palace,
            "kind": kind,
            "query": _query(palace, kind),
        },
    )


def _query(palace: Palace | None, kind: str) -> str:
    """The filter part of the page links, so that paging keeps the filters."""
    parts = [f"palace={palace.code}"] if palace else []
    parts += [f"kind={kind}"] if kind else []
    return "&".join(parts)


def _decorate(recruitment: Recruitment, now) -> None:
    recruitment.accepting = selectors.accepting_applications(recruitment, now)
    recruitment.deadline_text = selectors.beijing_time(recruitment.deadline)
    recruitment.publicity_ends_text = selectors.beijing_time(recruitment.publicity_ends_at)
    recruitment.in_result = recruitment.state in selectors.RESULT_STATES


def notice_detail(request, pk: int):
    try:
        recruitment = selectors.notice_detail(pk)
    except Recruitment.DoesNotExist as exc:
        raise Http404 from exc
    now = timezone.now()
    _decorate(recruitment, now)
    criteria = list(recruitment.criteria.all())
    provider = provider_of(request.user)
    own = selectors.own_application(provider, recruitment) if provider is not None else None
    return render(
        request,
        "public/notice_detail.html",
        {
            "recruitment": recruitment,
            "project": recruitment.project,
            "criteria": criteria,
            "price_criterion": next((c for c in criteria if c.kind == Criterion.Kind.PRICE), None),
            "opens_text": selectors.beijing_time(recruitment.opens_at),
            "ranking": selectors.public_ranking(recruitment),
            "provider": provider,
            "provider_verified": provider is not None and provider.status == Provider.Status.VERIFIED,
            "own_application": own,
            "can_object": (
                own is not None
                and recruitment.state == Recruitment.State.PUBLICITY
                and recruitment.publicity_ends_at is not None
                and now <= recruitment.publicity_ends_at
            ),
        },
    )
