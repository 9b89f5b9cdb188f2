"""The palace statistics page: activities and participant-visits by category and month, with charts and export.

Staff of a palace (any role) read its figures; the superuser reads every palace's.
A palace the user may not see cannot be chosen: a forged id is refused with 403.
"""

from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from tablib import Databook, Dataset

from core.exports import sanitize_cell
from core.models import Palace
from core.viewmixins import deny_or_login

from . import statistics
from .permissions import can_view_palace_statistics

EXPORT_FORMATS = ("csv", "xlsx")


class StatisticsForm(forms.Form):
    palace = forms.ModelChoiceField(label=gettext_lazy("Palace"), queryset=Palace.objects.none(), empty_label=None)
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, palaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["palace"].queryset = palaces

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            problem = statistics.period_problem(start, end)
            if problem:
                raise forms.ValidationError(problem)
        return data


def _requested_palace(request, palaces: list[Palace]) -> None:
    """Refuse a palace id the user may not read: 403 if it exists, 404 if it does not."""
    raw = request.GET.get("palace")
    if not raw:
        return
    try:
        pk = int(raw)
    except ValueError:
        raise Http404 from None
    if can_view_palace_statistics(request.user, pk) and any(p.pk == pk for p in palaces):
        return
    if not Palace.objects.filter(pk=pk).exists():
        raise Http404
    raise PermissionDenied


@require_safe
def palace_statistics(request):
    if not request.user.is_authenticated:
        return deny_or_login(request)
    palaces = list(statistics.statistics_palaces(request.user))
    if not palaces:
        return deny_or_login(request)
    _requested_palace(request, palaces)

    today = timezone.localdate()
    start, end = statistics.default_period(today)
    data = {"palace": palaces[0].pk, "start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"}
    data.update({k: v for k, v in request.GET.items() if k in data and v})
    form = StatisticsForm(data, palaces=statistics.statistics_palaces(request.user))
    stats = None
    if form.is_valid():
        stats = statistics.palace_statistics(
            palace=form.cleaned_data["palace"], start=form.cleaned_data["start"], end=form.cleaned_data["end"]
        )
        export = request.GET.get("export")
        if export in EXPORT_FORMATS:
            return _export(stats, export)

    palace_pk = form.cleaned_data["palace"].pk if stats else data["palace"]
    presets = [
        {
            "label": label,
            "url": "?" + urlencode({"palace": palace_pk, "start": f"{a:%Y-%m-%d}", "end": f"{b:%Y-%m-%d}"}),
            "active": stats is not None and (a, b) == (stats.start, stats.end),
        }
        for label, a, b in statistics.preset_periods(today)
    ]
    query = urlencode({k: data[k] for k in ("palace", "start", "end")})
    return TemplateResponse(
        request,
        "contracts/statistics.html",
        {
            "page_title": _("Palace statistics"),
            "form": form,
            "stats": stats,
            "presets": presets,
            "exports": [{"format": f, "url": f"?{query}&export={f}"} for f in EXPORT_FORMATS] if stats else [],
            "category_chart": statistics.category_chart(stats) if stats else "",
            "trend_chart": statistics.trend_chart(stats) if stats else "",
            "counted_states": statistics.COUNTED_STATES,
            "monthly_up_to": statistics.MONTHLY_UP_TO,
        },
    )


def _export(stats: statistics.PalaceStatistics, fmt: str) -> HttpResponse:
    """The page's tables, safe against formula injection: CSV has the category table, XLSX both tables."""
    sheets = []
    for title, headers, rows in statistics.statistics_tables(stats):
        sheet = Dataset(title=title[:31])
        sheet.headers = [sanitize_cell(str(h)) for h in headers]
        for row in rows:
            sheet.append([sanitize_cell(str(v)) if not isinstance(v, int) else v for v in row])
        sheets.append(sheet)
    name = f"palace-statistics-{stats.palace.code}-{stats.start:%Y%m%d}-{stats.end:%Y%m%d}.{fmt}"
    if fmt == "csv":
        # With a BOM, so that Excel on a Chinese Windows reads the text as UTF-8.
        content = "\ufeff" + sheets[0].export("csv")
        response = HttpResponse(content.encode("utf-8"), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            Databook(sheets).export("xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
