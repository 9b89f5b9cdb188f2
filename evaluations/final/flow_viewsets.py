"""The final evaluation workflow's app in the UI shell: an inbox and an archive (evaluations/flows_final.py).

Administrators name the panel, decide appeals, sign off and confirm; evaluators declare,
score and justify on their seats. Each sees here the tasks that are theirs, assigned to
them or to the palace's administrators. The app is the rectification app's shape
(``flow_viewsets.PooledFlowApp``), with columns for the contract under evaluation.
"""

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.flow.views import DetailProcessView, FlowArchiveListView

from evaluations.final.flows import FinalEvaluationFlow
from evaluations.final.models import FinalEvaluation
from evaluations.rectification.flow_viewsets import PooledFlowApp, PooledInboxView, TaskTimes


class FinalTaskColumns(TaskTimes):
    """Which task, for which contract and provider, and by when for the appeal's window."""

    def _evaluations(self) -> dict[int, FinalEvaluation]:
        # One query for the page's evaluations, whatever the number of rows.
        if not hasattr(self, "_evaluation_cache"):
            ids = {t.process.artifact_object_id for t in self.object_list}
            self._evaluation_cache = {
                e.pk: e for e in FinalEvaluation.objects.filter(pk__in=ids).select_related("contract__provider")
            }
        return self._evaluation_cache

    def _evaluation(self, task) -> FinalEvaluation | None:
        return self._evaluations().get(task.process.artifact_object_id)

    def contract(self, task):
        evaluation = self._evaluation(task)
        return evaluation.contract.number if evaluation else ""

    contract.short_description = _("Contract")

    def provider(self, task):
        evaluation = self._evaluation(task)
        return evaluation.contract.provider.name if evaluation else ""

    provider.short_description = _("Provider")

    def term_ends(self, task):
        evaluation = self._evaluation(task)
        return date_format(evaluation.contract.ends_on, "Y-m-d") if evaluation and evaluation.contract.ends_on else ""

    term_ends.short_description = _("Term ends")


class FinalInboxView(FinalTaskColumns, PooledInboxView):
    title = _("My final evaluation tasks")
    columns = ("task_id", "task_title", "contract", "provider", "term_ends", "received")

    @classmethod
    def tasks_for(cls, user, flow_class):
        # The confirmation of a 差 is for the palace's administrators but the one who signed it off.
        signed = FinalEvaluation.objects.filter(signed_off_by_id=user.pk).values("pk")
        return (
            super()
            .tasks_for(user, flow_class)
            .exclude(flow_task=FinalEvaluationFlow.confirm, process__artifact_object_id__in=signed)
        )


class FinalArchiveView(FinalTaskColumns, FlowArchiveListView):
    title = _("Done")
    columns = ("task_id", "task_title", "contract", "provider", "done")


class FinalProcessView(DetailProcessView):
    # The panel workflow's process page: its tasks, without viewflow's Cancel button.
    template_name = "procurement/panel/process_detail.html"


class FinalEvaluationFlowApp(PooledFlowApp):
    """The inbox and archive of final evaluation tasks, for the palace's administrators and evaluators."""

    icon = "verified"
    inbox_view_class = FinalInboxView
    archive_view_class = FinalArchiveView
    process_detail_view_class = FinalProcessView

    def __init__(self, **kwargs):
        super().__init__(FinalEvaluationFlow, **kwargs)
