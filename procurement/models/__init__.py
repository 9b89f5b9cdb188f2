from .providers import (
    KpiMetric,
    KpiTarget,
    Provider,
    ProviderCategory,
    ProviderDocument,
    ProviderUser,
    ServiceCategory,
    ServiceProject,
)
from .recruitment import (
    Application,
    ApplicationDocument,
    CompiledScore,
    Criterion,
    Declaration,
    Exclusion,
    Objection,
    PanelMember,
    PanelSeat,
    Recruitment,
    RecruitmentReminder,
    RequiredDocument,
    Score,
    ScoreCorrection,
)

__all__ = [
    "Application", "ApplicationDocument", "CompiledScore", "Criterion", "Declaration", "Exclusion",
    "KpiMetric", "KpiTarget", "Objection", "PanelMember", "PanelSeat", "Provider", "ProviderCategory",
    "ProviderDocument", "ProviderUser", "Recruitment", "RecruitmentReminder", "RequiredDocument", "Score", "ScoreCorrection",
    "ServiceCategory", "ServiceProject",
]
