"""The evaluations app's models: real-time evaluation and rectification (``realtime``, DOMAIN.md §4),
and final evaluation, exit and re-tender (``final``, §5)."""

from .final import (
    REVIEW_MAXIMA,
    Appeal,
    Exit,
    FinalEvaluation,
    FinalPanelScore,
    FinalPanelSeat,
    FinalRating,
    FinalWeights,
    HandoverItem,
    ReviewCriterion,
)
from .realtime import (
    POINTS,
    ChecklistItem,
    ChecklistTemplate,
    Evidence,
    Finding,
    IndicatorWeights,
    Inspection,
    InspectionItemScore,
    PeriodScore,
    Rating,
    RatingLink,
    RectificationOrder,
    RedLine,
    TerminationReview,
    new_rating_token,
)

__all__ = [
    "POINTS", "REVIEW_MAXIMA", "Appeal", "ChecklistItem", "ChecklistTemplate", "Evidence", "Exit",
    "FinalEvaluation", "FinalPanelScore", "FinalPanelSeat", "FinalRating", "FinalWeights", "Finding",
    "HandoverItem", "IndicatorWeights", "Inspection", "InspectionItemScore", "PeriodScore", "Rating", "RatingLink",
    "RectificationOrder", "RedLine", "ReviewCriterion", "TerminationReview", "new_rating_token",
]
