"""Evaluation in the UI shell: real-time evaluation and rectification, the final evaluation, exit.

Administrators see the standing of every contract, assign inspections, keep the
checklists and weights, and decide termination reviews; evaluators work through their
inbox of inspections and re-inspections and record red lines; providers see their own
scores and answer rectification orders. The order page is shared, each viewer seeing
the step that is theirs. At the end of a term the final evaluation (its panel review,
appeal and sign-off), the exit with its handover, and each provider's history live here too.
"""

from django.utils.translation import gettext_lazy as _

from core.permissions import is_admin_anywhere, is_evaluator_anywhere, is_staff_anywhere
from core.site import HezuoApplication, MenuLink
from evaluations.exit.urls import ExitUrls
from evaluations.final.urls import FinalUrls
from evaluations.realtime.urls import RealtimeUrls
from evaluations.rectification.urls import RectificationUrls
from evaluations.standing.urls import StandingUrls
from procurement.permissions import is_provider_user


def _staff(user):
    return user.is_superuser or is_staff_anywhere(user)


def _admin(user):
    return user.is_superuser or is_admin_anywhere(user)


def _evaluator(user):
    return is_evaluator_anywhere(user)


def _staff_or_provider(user):
    return _staff(user) or is_provider_user(user)


class EvaluationsApp(HezuoApplication, StandingUrls, RealtimeUrls, RectificationUrls, FinalUrls, ExitUrls):
    # Each sub-domain declares its own page URLs (its urls.py); they share this app's menu and namespace.
    title = _("Evaluation and exit")
    icon = "fact_check"
    app_name = "evaluations"
    permission = staticmethod(_staff_or_provider)
    menu = (
        MenuLink("evaluations:dashboard", _("Standing of contracts"), "monitor_heart", _staff),
        MenuLink("evaluations:inbox", _("My inspections"), "assignment_ind", _evaluator),
        MenuLink("evaluations:order_list", _("Rectification orders"), "build", _staff_or_provider),
        MenuLink("evaluations:provider_scores", _("My scores"), "insights", is_provider_user),
        MenuLink("evaluations:final_list", _("Final evaluations"), "verified", _staff_or_provider),
        MenuLink("evaluations:checklist_list", _("Checklists and weights"), "checklist", _admin),
    )
