"""Contracts and service reports in the UI shell: one app for the palace's staff and the providers.

Staff see the contracts table, the overdue reports and the statistics; a provider sees
its own contracts and the reports it owes. The contract and report pages are shared,
each showing the actions the viewer may take.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.permissions import is_admin_anywhere, is_staff_anywhere
from core.site import HezuoApplication, MenuLink
from procurement.permissions import is_provider_user

from . import views_provider, views_staff, views_stats


def _staff(user):
    return user.is_superuser or is_staff_anywhere(user)


def _staff_or_provider(user):
    return _staff(user) or is_provider_user(user)


def _admin(user):
    return user.is_superuser or is_admin_anywhere(user)


class ContractsApp(HezuoApplication):
    title = _("Contracts")
    icon = "handshake"
    app_name = "contracts"
    permission = staticmethod(_staff_or_provider)
    menu = (
        MenuLink("contracts:contract_list", _("Contracts"), "handshake", _staff),
        MenuLink("contracts:overdue_reports", _("Overdue reports"), "alarm", _staff),
        MenuLink("contracts:statistics", _("Palace statistics"), "bar_chart", _staff),
        MenuLink("contracts:my_contracts", _("My contracts"), "handshake", is_provider_user),
        MenuLink("contracts:my_reports", _("My service reports"), "assignment", is_provider_user),
    )

    # staff (views_staff)
    contract_list_path = path("contracts/", views_staff.ContractListView.as_view(), name="contract_list")
    contract_detail_path = path("contracts/<int:pk>/", views_staff.contract_detail, name="contract_detail")
    contract_edit_path = path("contracts/<int:pk>/edit/", views_staff.contract_edit, name="contract_edit")
    contract_sign_path = path("contracts/<int:pk>/sign/", views_staff.contract_sign, name="contract_sign")
    milestone_release_path = path(
        "contracts/<int:pk>/milestones/<int:milestone_pk>/release/",
        views_staff.milestone_release,
        name="milestone_release",
    )
    overdue_reports_path = path("reports/overdue/", views_staff.OverdueReportListView.as_view(), name="overdue_reports")
    report_detail_path = path("reports/<int:pk>/", views_staff.report_detail, name="report_detail")
    report_review_path = path("reports/<int:pk>/review/", views_staff.report_review, name="report_review")

    # provider (views_provider)
    my_contracts_path = path("mine/", views_provider.my_contracts, name="my_contracts")
    contract_accept_path = path("contracts/<int:pk>/accept/", views_provider.contract_accept, name="contract_accept")
    my_reports_path = path("mine/reports/", views_provider.my_reports, name="my_reports")
    report_edit_path = path("reports/<int:pk>/edit/", views_provider.report_edit, name="report_edit")
    report_import_path = path("reports/<int:pk>/import/", views_provider.report_import, name="report_import")
    report_submit_path = path("reports/<int:pk>/submit/", views_provider.report_submit, name="report_submit")

    # statistics (views_stats)
    statistics_path = path("statistics/", views_stats.palace_statistics, name="statistics")
