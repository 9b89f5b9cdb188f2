from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from viewflow.contrib.auth import AuthViewset

from contracts.viewsets import ContractsApp
from core import views as core_views
from core.desk_app import DeskApp
from core.site import HezuoSite, HomeApp
from evaluations.final.flow_viewsets import FinalEvaluationFlowApp
from evaluations.rectification.flow_viewsets import RectificationFlowApp
from evaluations.viewsets import EvaluationsApp
from procurement.portal import ProviderPortalApp
from procurement.viewsets import PanelFlowApp, ProcurementApp

site = HezuoSite(
    viewsets=[
        HomeApp(),
        DeskApp(),
        ProviderPortalApp(),
        ProcurementApp(),
        ContractsApp(),
        EvaluationsApp(),
        PanelFlowApp(),
        RectificationFlowApp(),
        FinalEvaluationFlowApp(),
    ]
)

urlpatterns = [
    # First: the public rating page is the busiest address (a hall of workers scanning one QR
    # code), and Django tries the patterns in order.
    path("", include("evaluations.urls")),
    path("", RedirectView.as_view(pattern_name="workbench:index", permanent=False), name="home"),
    path("accounts/", AuthViewset(with_profile_view=False).urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("core.urls")),
    path("", include("procurement.urls")),
    path("app/", site.urls),
]
