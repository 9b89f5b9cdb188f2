"""Contracts' contributions to core: home panels, and who may download a report's attachments.

Panels are cheap: one aggregate query each, plus a short list of contracts awaiting
the provider's acceptance.
"""

from django.db.models import Count, Min, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.permissions import has_role, palace_ids
from core.registry import (
    HomePanel,
    register_file_policy,
    register_home_panels,
    register_subject_policy,
)
from procurement.permissions import provider_of

from .models import Contract, ReportAttachment, ReportVersion, ServiceReport
from .permissions import can_view_contract, is_party
from .selectors_provider import IN_FORCE, contracts_awaiting_acceptance, report_counts

REPORT_FILE_PURPOSE = "service_report"  # what services.report_save stores attachments under
REPORT_FILE_ROLES = (Role.ADMIN, Role.EVALUATOR, Role.AUDITOR)


def _may_read_report_files(user, contract: Contract) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or is_party(user, contract):
        return True
    return has_role(user, contract.palace_id, *REPORT_FILE_ROLES)


def report_attachment_policy(user, stored_file):
    """A report's attachments: the contract's provider, the palace's staff, and the superuser.

    An attachment removed after a submission stays part of that frozen version
    (``ReportVersion.attachments`` keeps its file id), so it stays readable to the same people.
    """
    attachment = ReportAttachment.objects.select_related("report__contract").filter(file=stored_file).first()
    if attachment is not None:
        return _may_read_report_files(user, attachment.report.contract)
    if stored_file.purpose != REPORT_FILE_PURPOSE:
        return None
    version = (
        ReportVersion.objects.annotate(files=Cast("attachments", TextField()))
        .filter(files__contains=str(stored_file.pk))
        .select_related("report__contract")
        .first()
    )
    if version is None:
        return None
    return _may_read_report_files(user, version.report.contract)


register_file_policy(report_attachment_policy)
# Issued documents about a contract (summaries, notices, the assessment) follow the contract.
register_subject_policy(Contract, can_view_contract)


@register_home_panels
def contract_panels(user):
    if not user.is_authenticated:
        return []
    today = timezone.localdate()
    own = provider_of(user)
    if own is not None:
        return _provider_panels(own, today)
    if user.is_superuser:
        return _staff_panels(None, today)
    palaces = palace_ids(user)
    return _staff_panels(palaces, today) if palaces else []


def _provider_panels(provider, today) -> list[HomePanel]:
    panels = []
    awaiting = list(contracts_awaiting_acceptance(provider)[:5])
    if awaiting:
        panels.append(
            HomePanel(
                _("Contracts awaiting your acceptance"),
                "contracts/panels/awaiting_acceptance.html",
                {"contracts": awaiting},
                order=5,
            )
        )
    counts = report_counts(provider, today)
    if counts["total"]:
        panels.append(
            HomePanel(
                _("My service reports"),
                "contracts/panels/provider_reports.html",
                {"counts": counts, "today": today},
                order=6,
            )
        )
    return panels


def _staff_panels(palaces, today) -> list[HomePanel]:
    reports = ServiceReport.objects.filter(contract__state__in=IN_FORCE)
    if palaces is not None:
        reports = reports.filter(contract__palace_id__in=palaces)
    submitted = Q(state=ServiceReport.State.SUBMITTED)
    counts = reports.aggregate(
        overdue=Count("pk", filter=Q(state__in=ServiceReport.OUTSTANDING, due_on__lt=today)),
        waiting=Count("pk", filter=submitted),
        oldest_waiting=Min("submitted_at", filter=submitted),
    )
    return [HomePanel(_("Service reports"), "contracts/panels/staff_reports.html", {"counts": counts}, order=15)]
