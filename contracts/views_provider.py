"""PLACEHOLDER being written by a helper right now."""
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


my_contracts = contract_accept = my_reports = report_edit = report_import = report_submit = _todo
