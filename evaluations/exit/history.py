"""A provider's history (DOMAIN.md §5): every term it held, with its rating, rectification, red lines,
exit and documents, and every exclusion, for the provider history page and the track-record sections
on the provider's, the organisation's and the panel's pages.

The history is the provider's, whichever palace held the term: it travels with the provider to every
future recruitment. What a viewer may open from it (the contract, an order, a PDF) stays scoped to
what that viewer may see, so another palace's panel reads the facts (dates, ratings, counts) without
the contract's pages. A fixed number of queries, however many terms the provider had.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from contracts.models import Contract
from contracts.permissions import can_view_contract, is_party
from core.models import IssuedDocument, Role
from core.permissions import AnyUser, has_role
from evaluations.exit.models import Exit
from evaluations.final.models import FinalEvaluation, FinalRating
from evaluations.realtime.models import RedLine
from evaluations.rectification.models import RectificationOrder
from procurement.models import Exclusion, Provider

# The documents listed on the history, in this order within a term; monthly summaries stay on the
# contract's page (twelve a year would drown the rest).
HISTORY_DOCUMENTS = (
    IssuedDocument.Kind.ASSESSMENT_REPORT,
    IssuedDocument.Kind.EXIT_NOTICE,
    IssuedDocument.Kind.RECTIFICATION_NOTICE,
)
RATING_TONE = {
    FinalRating.EXCELLENT: "green",
    FinalRating.GOOD: "green",
    FinalRating.PASS: "amber",
    FinalRating.POOR: "red",
}


@dataclass
class Term:
    """One contract (合作期) of the provider."""

    contract: Contract
    can_open: bool  # the viewer may open the contract's pages and its orders (its staff, the provider)
    can_open_final: bool  # ... and its final evaluation, exit and their PDFs (admins, auditors, the provider)
    final: FinalEvaluation | None
    exit: Exit | None
    renewal: Contract | None  # the term that renewed this one
    orders: list[RectificationOrder]
    red_lines: list[RedLine]
    documents: list[IssuedDocument] = field(default_factory=list)

    @property
    def failed_orders(self) -> int:
        return sum(1 for o in self.orders if o.state == RectificationOrder.State.FAILED)

    @property
    def rating(self) -> str:
        """The final rating once final, else ""."""
        return self.final.rating if self.final and self.final.state == FinalEvaluation.State.FINAL else ""

    @property
    def rating_tone(self) -> str:
        return RATING_TONE.get(self.rating, "")


@dataclass
class ExclusionRow:
    exclusion: Exclusion
    active: bool
    upcoming: bool


@dataclass
class ProviderHistory:
    provider: Provider
    terms: list[Term]
    exclusions: list[ExclusionRow]
    today: date

    @property
    def active_exclusions(self) -> list[ExclusionRow]:
        return [e for e in self.exclusions if e.active]

    @property
    def ratings(self) -> list[tuple[str, str, int]]:
        """(rating, label, how many terms got it), best first, only those present."""
        counts: dict[str, int] = defaultdict(int)
        for term in self.terms:
            if term.rating:
                counts[term.rating] += 1
        return [(value, label, counts[value]) for value, label in FinalRating.choices if counts[value]]

    @property
    def failed_orders(self) -> int:
        return sum(t.failed_orders for t in self.terms)

    @property
    def red_lines(self) -> int:
        return sum(len(t.red_lines) for t in self.terms)


def _may_download(user: AnyUser, document: IssuedDocument, term: Term) -> bool:
    """``core.documents.can_download_document`` for the history's kinds, without a query per document:
    a rectification notice goes with its order (whoever may see the contract); an assessment report or
    an exit notice with the evaluation (the palace's administrators and auditors, the provider)."""
    if user.is_superuser or has_role(user, document.palace_id, Role.ADMIN, Role.AUDITOR):
        return True
    return term.can_open if document.kind == IssuedDocument.Kind.RECTIFICATION_NOTICE else term.can_open_final


def _documents(terms: list[Term], user: AnyUser) -> None:
    """Attach each term's latest documents the viewer may download, in one query."""
    subjects: dict[tuple[int, str], Term] = {}
    types = ContentType.objects.get_for_models(FinalEvaluation, Exit, RectificationOrder)
    for term in terms:
        if term.final is not None:
            subjects[(types[FinalEvaluation].pk, str(term.final.pk))] = term
        if term.exit is not None:
            subjects[(types[Exit].pk, str(term.exit.pk))] = term
        for order in term.orders:
            subjects[(types[RectificationOrder].pk, str(order.pk))] = term
    if not subjects:
        return
    condition = Q()
    for type_id in {t for t, _ in subjects}:
        condition |= Q(content_type_id=type_id, object_id__in=[o for t, o in subjects if t == type_id])
    latest: dict[tuple[int, str, str], IssuedDocument] = {}
    for doc in IssuedDocument.objects.filter(condition, kind__in=HISTORY_DOCUMENTS).order_by("version"):
        latest[(doc.content_type_id, doc.object_id, doc.kind)] = doc  # the newest version wins
    for (type_id, object_id, _kind), doc in latest.items():
        term = subjects[(type_id, object_id)]
        if _may_download(user, doc, term):
            term.documents.append(doc)
    for term in terms:
        term.documents.sort(key=lambda d: (HISTORY_DOCUMENTS.index(d.kind), d.issued_at))


def _may_open_final(user: AnyUser, contract: Contract) -> bool:
    """``can_view_final`` without its query for a panel evaluator (who reaches it from the panel seat)."""
    return user.is_superuser or is_party(user, contract) or has_role(user, contract.palace_id, Role.ADMIN, Role.AUDITOR)


def provider_history(provider: Provider, *, user: AnyUser, today: date | None = None) -> ProviderHistory:
    """Every term of ``provider``, newest first, and every exclusion, as ``user`` may see them.

    Preconditions: ``can_view_provider_history(user, provider)``. Six queries whatever the number of terms.
    """
    today = today or timezone.localdate()
    contracts = list(
        Contract.objects.filter(provider=provider)
        .select_related("palace", "project", "renewal_of", "final_evaluation", "exit__exclusion__palace")
        .prefetch_related(
            Prefetch("rectification_orders", queryset=RectificationOrder.objects.order_by("issued_at", "pk")),
            Prefetch("red_lines", queryset=RedLine.objects.order_by("occurred_on", "pk")),
        )
        .order_by("-starts_on", "-created_at", "-pk")
    )
    renewals = {c.renewal_of_id: c for c in contracts if c.renewal_of_id}
    terms = [
        Term(
            contract=c,
            can_open=can_view_contract(user, c),
            can_open_final=_may_open_final(user, c),
            final=getattr(c, "final_evaluation", None),
            exit=getattr(c, "exit", None),
            renewal=renewals.get(c.pk),
            orders=list(c.rectification_orders.all()),
            red_lines=list(c.red_lines.all()),
        )
        for c in contracts
    ]
    _documents(terms, user)
    exclusions = [
        ExclusionRow(exclusion=e, active=e.starts_on <= today < e.ends_on, upcoming=today < e.starts_on)
        for e in provider.exclusions.select_related("palace").order_by("-ends_on", "-pk")
    ]
    return ProviderHistory(provider=provider, terms=terms, exclusions=exclusions, today=today)


# --- the track record: a few lines per provider for other pages -----------------------------------


@dataclass
class TrackRecord:
    provider: Provider
    terms: int = 0
    ratings: list[tuple[str, str, Decimal | None]] = field(
        default_factory=list
    )  # (rating, label, points), newest first
    failed_orders: int = 0
    red_lines: int = 0
    exits: int = 0
    exclusions: list[Exclusion] = field(default_factory=list)  # in force today

    @property
    def is_clean(self) -> bool:
        return not (self.failed_orders or self.red_lines or self.exits or self.exclusions)


def track_records(providers: Iterable[Provider], today: date | None = None) -> dict[int, TrackRecord]:
    """A short record of each provider (terms, final ratings, failed orders, red lines, exits, exclusions
    in force), in two queries for any number of providers."""
    today = today or timezone.localdate()
    records = {p.pk: TrackRecord(provider=p) for p in providers}
    if not records:
        return records
    contracts = (
        Contract.objects.filter(provider_id__in=records)
        .annotate(
            failed=Count(
                "rectification_orders",
                filter=Q(rectification_orders__state=RectificationOrder.State.FAILED),
                distinct=True,
            ),
            red=Count("red_lines", distinct=True),
        )
        .select_related("final_evaluation", "exit")
        .order_by("-starts_on", "-created_at", "-pk")
    )
    labels = dict(FinalRating.choices)
    for c in contracts:
        record = records[c.provider_id]
        record.terms += 1
        record.failed_orders += c.failed
        record.red_lines += c.red
        final = getattr(c, "final_evaluation", None)
        if final is not None and final.state == FinalEvaluation.State.FINAL:
            record.ratings.append((final.rating, labels.get(final.rating, final.rating), final.total))
        if getattr(c, "exit", None) is not None:
            record.exits += 1
    for e in (
        Exclusion.objects.filter(provider_id__in=records, starts_on__lte=today, ends_on__gt=today)
        .select_related("palace")
        .order_by("ends_on")
    ):
        records[e.provider_id].exclusions.append(e)
    return records
