"""Reads for the rectification pages (orders, termination reviews) and the monthly summaries, scoped to the user."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet

from contracts.models import Contract
from core.models import IssuedDocument, Palace
from core.permissions import AnyUser, palace_ids
from evaluations.realtime.models import Evidence, PeriodScore
from evaluations.rectification.models import Finding, RectificationOrder, TerminationReview
from procurement.models import Provider
from procurement.permissions import provider_of

_CONTRACT = ("contract__palace", "contract__provider", "contract__project")


def _visible(user: AnyUser) -> Q | None:
    """What ``user`` may see of rectification: None for everything (the superuser)."""
    if user.is_superuser:
        return None
    condition = Q(contract__palace_id__in=palace_ids(user))
    provider = provider_of(user)
    if provider is not None:
        condition |= Q(contract__provider_id=provider.pk)
    return condition


def orders_for(user: AnyUser) -> QuerySet[RectificationOrder]:
    """The orders of the palaces where ``user`` is staff, or of ``user``'s own organisation."""
    orders = RectificationOrder.objects.select_related(*_CONTRACT, "period", "red_line")
    condition = _visible(user)
    return orders if condition is None else orders.filter(condition)


def order_palaces_for(user: AnyUser) -> QuerySet[Palace]:
    if user.is_superuser:
        return Palace.objects.all().order_by("name")
    return Palace.objects.filter(pk__in=palace_ids(user)).order_by("name")


def order_providers_for(user: AnyUser) -> QuerySet[Provider]:
    """The providers with an order the user can see: the choices of the provider filter."""
    return Provider.objects.filter(pk__in=orders_for(user).values("contract__provider_id")).order_by("name")


def order_for_page(pk: int) -> RectificationOrder:
    """The order with its findings and their evidence, in three queries."""
    return (
        RectificationOrder.objects.select_related(*_CONTRACT, "period", "red_line", "reinspector", "responded_by")
        .prefetch_related(
            Prefetch(
                "findings",
                queryset=Finding.objects.order_by("position").prefetch_related(
                    Prefetch("evidence", queryset=Evidence.objects.select_related("file").order_by("pk"))
                ),
            )
        )
        .get(pk=pk)
    )


def _latest_document(subject, kind: str) -> IssuedDocument | None:
    return (
        IssuedDocument.objects.filter(
            content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk), kind=kind
        )
        .order_by("-version")
        .first()
    )


def notice_for(order: RectificationOrder) -> IssuedDocument | None:
    """The order's rectification notice (整改通知书), its latest version."""
    return _latest_document(order, IssuedDocument.Kind.RECTIFICATION_NOTICE)


def reviews_counting(order: RectificationOrder) -> list[TerminationReview]:
    """The termination reviews that count this order among the term's failed orders."""
    return list(TerminationReview.objects.filter(failed_orders=order).order_by("-opened_at"))


def failed_order_count(contract: Contract) -> int:
    return contract.rectification_orders.filter(state=RectificationOrder.State.FAILED).count()


def review_for_page(pk: int) -> TerminationReview:
    return (
        TerminationReview.objects.select_related(*_CONTRACT, "decided_by")
        .prefetch_related(
            Prefetch(
                "failed_orders",
                queryset=RectificationOrder.objects.select_related("period", "red_line").order_by("issued_at"),
            )
        )
        .get(pk=pk)
    )


def contract_orders(contract: Contract) -> list[RectificationOrder]:
    return list(contract.rectification_orders.select_related("period", "red_line").order_by("-issued_at"))


def contract_reviews(contract: Contract) -> list[TerminationReview]:
    return list(contract.termination_reviews.select_related("decided_by").order_by("-opened_at"))


def monthly_summaries(contract: Contract) -> list[tuple[PeriodScore, IssuedDocument]]:
    """Each closed month of the contract with its summary PDF (the latest version), oldest first."""
    periods = {str(p.pk): p for p in contract.period_scores.filter(closed=True)}
    if not periods:
        return []
    documents = IssuedDocument.objects.filter(
        content_type=ContentType.objects.get_for_model(PeriodScore),
        object_id__in=list(periods),
        kind=IssuedDocument.Kind.MONTHLY_SUMMARY,
    ).order_by("object_id", "-version")
    latest: dict[str, IssuedDocument] = {}
    for doc in documents:
        latest.setdefault(doc.object_id, doc)
    return sorted(((periods[k], d) for k, d in latest.items()), key=lambda pair: pair[0].month)
