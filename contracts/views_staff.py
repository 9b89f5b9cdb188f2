"""PLACEHOLDER being written by a helper right now."""
from django.http import Http404
from django.views import View


def _todo(request, *args, **kwargs):
    raise Http404


class ContractListView(View):
    get = _todo


class OverdueReportListView(View):
    get = _todo


contract_detail = contract_edit = contract_sign = milestone_release = report_detail = report_review = _todo
