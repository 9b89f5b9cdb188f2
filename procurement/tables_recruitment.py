import django_tables2 as tables
from django.utils.translation import pgettext_lazy

from .models import Recruitment


class RecruitmentTable(tables.Table):
    number = tables.LinkColumn(
        "procurement:recruitment_detail", args=[tables.A("pk")], attrs={"td": {"class": "hz-nowrap hz-mono"}}
    )
    title = tables.LinkColumn("procurement:recruitment_detail", args=[tables.A("pk")])
    state = tables.Column(attrs={"td": {"class": "hz-nowrap"}})
    deadline = tables.DateTimeColumn(format="Y-m-d H:i", attrs={"td": {"class": "hz-nowrap"}})
    # Sealed until the deadline: a count is all that staff may know.
    application_count = tables.Column(
        pgettext_lazy("recruitment", "Applications"), attrs={"td": {"class": "hz-nowrap"}}
    )

    class Meta:
        model = Recruitment
        fields = ["number", "title", "project", "palace", "state", "deadline", "application_count", "budget_ceiling"]
        order_by = ["-number"]
