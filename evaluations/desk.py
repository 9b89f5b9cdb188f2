"""The evaluations app's tables on the audit desk: contracts with their standing and milestones,
inspections, rectification orders and final evaluations (read-only).

The contracts table is here, not in contracts, because the standing is the evaluations app's:
each row carries the ``PeriodScore`` of the month its contract page shows (this month, or the
term's last month once the term is over), annotated, so the table can be filtered and sorted
by it and a page costs the same few queries however many contracts it lists.
"""

from decimal import Decimal

import django_filters
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from core.desk import DeskFilterSet, DeskTableView
from core.models import IssuedDocument
from core.registry import register_desk_table
from evaluations.final.models import FinalEvaluation, FinalRating
from evaluations.realtime.charts import standing_word
from evaluations.realtime.models import Inspection, PeriodScore
from evaluations.realtime.months import month_of
from evaluations.rectification.models import Finding, RectificationOrder
from evaluations.standing.selectors import STANDINGS
from evaluations.tables_desk import (
    ContractDeskTable,
    FinalDeskTable,
    InspectionDeskTable,
    OrderDeskTable,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)

# --- contracts ------------------------------------------------------------------------------------


def standing_choices() -> list[tuple[str, str]]:
    """The standings in words, worst first, in the language of the request that reads them."""
    return [(s, standing_word(s)) for s in STANDINGS]


class ContractDeskFilter(DeskFilterSet):
    search_fields = ("number", "provider__name", "project__name")
    date_field = "starts_on"
    date_from_label = _("Term starts from")
    date_to_label = _("Term starts by")

    status = django_filters.ChoiceFilter(
        label=_("State"), field_name="state", choices=Contract.State.choices, empty_label=_("All")
    )
    standing = django_filters.ChoiceFilter(
        label=_("Standing this month"), field_name="current_standing", choices=standing_choices, empty_label=_("All")
    )

    class Meta:
        model = Contract
        fields = ["q", "date_from", "date_to", "status", "standing"]


def contracts_with_standing(today=None):
    """Every contract with its month's score, standing and red lines, and its milestones counted and summed.

    The month is the one the contract page scores: this month, or the term's last once it is over;
    none (``standing_month`` null) for a draft or a term not yet begun.
    """
    today = today or timezone.localdate()
    current = month_of(today)
    month = PeriodScore.objects.filter(contract=OuterRef("pk"), month=OuterRef("standing_month"))
    released, withheld = Q(milestones__released_at__isnull=False), Q(milestones__withheld_at__isnull=False)
    return Contract.objects.select_related("palace", "provider", "project").annotate(
        standing_month=Case(
            When(
                Q(state=Contract.State.DRAFT) | Q(starts_on__isnull=True) | Q(starts_on__gt=today),
                then=Value(None, output_field=DateField()),
            ),
            When(ends_on__lt=current, then=TruncMonth("ends_on", output_field=DateField())),
            default=Value(current, output_field=DateField()),
            output_field=DateField(),
        ),
        current_score=Subquery(month.values("score")[:1]),
        current_standing=Coalesce(Subquery(month.values("standing")[:1]), Value("none"), output_field=CharField()),
        current_red_lines=Coalesce(Subquery(month.values("red_lines")[:1]), Value(0), output_field=IntegerField()),
        standing_rank=Case(
            *[When(current_standing=s, then=Value(i)) for i, s in enumerate(STANDINGS)],
            default=Value(len(STANDINGS)),
            output_field=IntegerField(),
        ),
        milestones_count=Count("milestones"),
        milestones_released=Count("milestones", filter=released),
        milestones_withheld=Count("milestones", filter=withheld),
        amount_total=Coalesce(Sum("milestones__amount"), ZERO, output_field=MONEY),
        amount_released=Coalesce(Sum("milestones__amount", filter=released), ZERO, output_field=MONEY),
        amount_withheld=Coalesce(Sum("milestones__amount", filter=withheld), ZERO, output_field=MONEY),
    )


@register_desk_table
class ContractDeskView(DeskTableView):
    slug = "contracts"
    page_title = _("Contracts")
    description = _(
        "Every contract with its term, its standing this month (as the contract page scores it) and "
        "its payment milestones: how many were released, the amounts released and withheld."
    )
    icon = "handshake"
    order = 40
    table_class = ContractDeskTable
    filterset_class = ContractDeskFilter
    palace_field = "palace"

    def base_queryset(self):
        return contracts_with_standing()


# --- inspections ----------------------------------------------------------------------------------


class InspectionDeskFilter(DeskFilterSet):
    search_fields = ("contract__number", "contract__provider__name", "inspector__full_name", "checklist__name")
    date_field = "due_on"
    date_from_label = _("Due from")
    date_to_label = _("Due by")

    status = django_filters.ChoiceFilter(
        label=_("State"), field_name="state", choices=Inspection.State.choices, empty_label=_("All")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), field_name="kind", choices=Inspection.Kind.choices, empty_label=_("All")
    )

    class Meta:
        model = Inspection
        fields = ["q", "date_from", "date_to", "status", "kind"]


@register_desk_table
class InspectionDeskView(DeskTableView):
    slug = "inspections"
    page_title = _("Inspections")
    description = _(
        "On-site inspections and re-inspections: who inspected against which checklist, whether it "
        "was announced, and the score once submitted."
    )
    icon = "assignment_turned_in"
    order = 60
    table_class = InspectionDeskTable
    filterset_class = InspectionDeskFilter
    palace_field = "contract__palace"

    def base_queryset(self):
        return Inspection.objects.select_related("contract__provider", "contract__palace", "inspector", "checklist")


# --- rectification orders -------------------------------------------------------------------------


class OrderDeskFilter(DeskFilterSet):
    search_fields = ("number", "contract__number", "contract__provider__name")
    date_field = "issued_at__date"
    date_from_label = _("Issued from")
    date_to_label = _("Issued by")

    status = django_filters.ChoiceFilter(
        label=_("State"), field_name="state", choices=RectificationOrder.State.choices, empty_label=_("All")
    )
    reason = django_filters.ChoiceFilter(
        label=_("Reason"), field_name="trigger", choices=RectificationOrder.Trigger.choices, empty_label=_("All")
    )

    class Meta:
        model = RectificationOrder
        fields = ["q", "date_from", "date_to", "status", "reason"]


@register_desk_table
class OrderDeskView(DeskTableView):
    slug = "orders"
    page_title = _("Rectification orders")
    description = _(
        "Rectification orders issued for a month under 60 or a red line: the deadline, the state and "
        "how each closed order ended."
    )
    icon = "build"
    order = 70
    table_class = OrderDeskTable
    filterset_class = OrderDeskFilter
    palace_field = "contract__palace"

    def base_queryset(self):
        return RectificationOrder.objects.select_related(
            "contract__provider", "contract__palace", "period", "red_line"
        ).annotate(
            findings_count=Count("findings"),
            findings_resolved=Count("findings", filter=Q(findings__outcome=Finding.Outcome.RESOLVED)),
        )


# --- final evaluations ----------------------------------------------------------------------------


class FinalDeskFilter(DeskFilterSet):
    search_fields = ("contract__number", "contract__provider__name")
    date_field = "contract__ends_on"
    date_from_label = _("Term ends from")
    date_to_label = _("Term ends by")

    status = django_filters.ChoiceFilter(
        label=_("State"), field_name="state", choices=FinalEvaluation.State.choices, empty_label=_("All")
    )
    rating = django_filters.ChoiceFilter(
        label=_("Rating"),
        choices=FinalRating.choices,
        empty_label=_("All"),
        method="by_rating",
        help_text=_("The final rating, or the proposed one until it is final"),
    )

    class Meta:
        model = FinalEvaluation
        fields = ["q", "date_from", "date_to", "status", "rating"]

    def by_rating(self, queryset, name, value):
        # As the final evaluations page filters: the final rating, or the proposed one until it is final.
        return queryset.filter(Q(rating=value) | Q(rating="", proposed_rating=value))


def assessment_reports():
    """The newest assessment report issued about the outer row's final evaluation.

    Matched on the content type's natural key (a join) rather than its id, so that reading
    the page never has to look the content type up first.
    """
    return IssuedDocument.objects.filter(
        kind=IssuedDocument.Kind.ASSESSMENT_REPORT,
        content_type__app_label="evaluations",
        content_type__model="finalevaluation",
        object_id=Cast(OuterRef("pk"), CharField()),
    ).order_by("-version")


@register_desk_table
class FinalDeskView(DeskTableView):
    slug = "finals"
    page_title = _("Final evaluations")
    description = _(
        "End-of-term evaluations with their proposed and final points and ratings, any appeal, and "
        "the assessment report once issued."
    )
    icon = "grading"
    order = 80
    table_class = FinalDeskTable
    filterset_class = FinalDeskFilter
    palace_field = "contract__palace"

    def base_queryset(self):
        reports = assessment_reports()
        return FinalEvaluation.objects.select_related(
            "contract__palace", "contract__provider", "contract__project"
        ).annotate(
            appeal_lodged_at=F("appeal__lodged_at"),
            appeal_decision=F("appeal__decision"),
            report_id=Subquery(reports.values("pk")[:1]),
            report_issued_at=Subquery(reports.values("issued_at")[:1]),
        )
