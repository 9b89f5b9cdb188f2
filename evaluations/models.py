"""The evaluations app's models, gathered for Django and for callers outside the app.

Each model lives in its sub-domain's package: ``realtime`` (inspections, ratings, red lines,
month scores; DOMAIN.md §4), ``rectification`` (orders, findings, termination reviews),
``final`` (final evaluation, its panel and appeal; §5) and ``exit`` (exit and handover).
Inside ``evaluations`` a module imports a model from its own package or a lower one, never
from here.
"""

from evaluations.exit.models import Exit, HandoverItem
from evaluations.final.models import (
    REVIEW_MAXIMA,
    Appeal,
    FinalEvaluation,
    FinalPanelScore,
    FinalPanelSeat,
    FinalRating,
    FinalWeights,
    ReviewCriterion,
)
from evaluations.realtime.models import (
    POINTS,
    ChecklistItem,
    ChecklistTemplate,
    Evidence,
    IndicatorWeights,
    Inspection,
    InspectionItemScore,
    PeriodScore,
    Rating,
    RatingLink,
    RedLine,
    new_rating_token,
)
from evaluations.rectification.models import Finding, RectificationOrder, TerminationReview

__all__ = [
    "POINTS",
    "REVIEW_MAXIMA",
    "Appeal",
    "ChecklistItem",
    "ChecklistTemplate",
    "Evidence",
    "Exit",
    "FinalEvaluation",
    "FinalPanelScore",
    "FinalPanelSeat",
    "FinalRating",
    "FinalWeights",
    "Finding",
    "HandoverItem",
    "IndicatorWeights",
    "Inspection",
    "InspectionItemScore",
    "PeriodScore",
    "Rating",
    "RatingLink",
    "RectificationOrder",
    "RedLine",
    "ReviewCriterion",
    "TerminationReview",
    "new_rating_token",
]
