"""Recruitments for the public and provider-side tests, built through the services where they reach.

``into_publicity`` is the one shortcut: it stands in for the panel (closing,
scoring, compiling, proposing), which the staff side's tests drive end to end.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from procurement import services
from procurement.models import Application, Criterion, Recruitment
from procurement.services.applying import ApplicationFile
from procurement.services.drafting import CriterionInput

from ..factories import PDF_BYTES, ServiceProjectFactory

DOCUMENTS = ("营业执照副本", "服务实施方案")
CRITERIA = (
    CriterionInput("服务方案", Decimal(40), description="方案完整、可行，贴近职工需求"),
    CriterionInput("师资与团队", Decimal(30)),
    CriterionInput("报价", Decimal(30), Criterion.Kind.PRICE),
)


def pdf(name: str = "doc.pdf", salt: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES + salt.encode(), content_type="application/pdf")


def published_recruitment(
    admin,
    palace,
    *,
    deadline: datetime | None = None,
    title: str = "职工电商直播培训招募",
    documents=DOCUMENTS,
    project=None,
    now: datetime | None = None,
) -> Recruitment:
    """A recruitment open for applications, its deadline 20 days away unless given."""
    project = project or ServiceProjectFactory(palace=palace, created_by=admin, name=f"{title}项目")
    recruitment = services.recruitment_create(
        actor=admin,
        project=project,
        title=title,
        deadline=deadline or timezone.now() + timedelta(days=20),
        criteria=list(CRITERIA),
        required_documents=list(documents),
        description="面向全县职工开展电商直播技能培训。",
        eligibility="具有职业技能培训资质。",
        budget_ceiling=Decimal("100000.00"),
        panel_size=3,
    )
    services.recruitment_publish(actor=admin, recruitment=recruitment, now=now)
    recruitment.refresh_from_db()
    return recruitment


def all_documents(recruitment: Recruitment, salt: str = "") -> list[ApplicationFile]:
    return [ApplicationFile(d.pk, pdf(f"{d.name}.pdf", salt)) for d in recruitment.required_documents.all()]


def apply(
    user,
    recruitment: Recruitment,
    *,
    price: str = "80000",
    proposal: str = "每月四场培训",
    files=None,
    now: datetime | None = None,
) -> Application:
    return services.application_submit(
        actor=user,
        recruitment=recruitment,
        price=Decimal(price),
        proposal=proposal,
        files=all_documents(recruitment) if files is None else files,
        now=now,
    )


def into_publicity(
    recruitment: Recruitment,
    ranking: list[tuple[Application, str]],
    *,
    ends_at: datetime | None = None,
) -> Recruitment:
    """The result in publicity: ``ranking`` is (application, total) best first; the first is proposed."""
    for rank, (application, total) in enumerate(ranking, start=1):
        Application.objects.filter(pk=application.pk).update(is_valid=True, rank=rank, total=Decimal(total))
    Recruitment.objects.filter(pk=recruitment.pk).update(
        state=Recruitment.State.PUBLICITY,
        deadline=timezone.now() - timedelta(days=10),
        compiled_at=timezone.now(),
        awarded_application=ranking[0][0],
        publicity_ends_at=ends_at or timezone.now() + timedelta(days=7),
    )
    recruitment.refresh_from_db()
    return recruitment
