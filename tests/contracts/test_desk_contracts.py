"""The audit desk's service reports table, as an auditor uses it: only their palace's reports,
searched, filtered by period and state, sorted, and exported to a spreadsheet that runs nothing."""

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from contracts import services
from contracts.models import ServiceReport
from core.models import User
from procurement.models import Provider
from tests.contract_builders import active_contract
from tests.desk_pages import assert_export_matches_page
from tests.factories import ProviderFactory, provider_user

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://x","y")'
TODAY = date(2026, 3, 10)  # the contracts start 2026-01-01: January, February and March have begun
URL = reverse("desk:table", args=["reports"])


@pytest.fixture(autouse=True)
def on_day():
    with time_machine.travel(timezone.make_aware(datetime(2026, 3, 10, 10)), tick=False):
        yield


def submit(report: ServiceReport, provider_user, when: datetime) -> ServiceReport:
    services.report_save(
        actor=provider_user,
        report=report,
        narrative="本月服务小结",
        activities=[
            services.ActivityInput(
                report.period_start + timedelta(days=9), "职工技能培训", "training", "职工培训教室", 20
            )
        ],
    )
    return services.report_submit(actor=provider_user, report=report, now=when)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("t-desk-root", "root@example.cn", "hezuo-demo")


@pytest.fixture
def contract(roles, wenshang):
    Provider.objects.filter(pk=roles["provider_a"].provider.pk).update(name=HOSTILE)
    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        number="WS-HT-2026-0001",
    )
    january, february = contract.reports.order_by("sequence")[:2]
    submit(january, roles["provider_a"], timezone.make_aware(datetime(2026, 2, 3, 9)))
    services.report_review(actor=roles["admin"], report=january, accept=True, score=Decimal("86.5"))
    submit(february, roles["provider_a"], timezone.make_aware(datetime(2026, 3, 4, 16, 30)))
    return contract


@pytest.fixture
def foshan_contract(roles, foshan):
    provider = ProviderFactory(palace=foshan, verified=True, name="佛山市社工服务中心")
    return active_contract(
        palace=foshan,
        provider=provider,
        provider_user=provider_user(provider),
        admin=roles["other_admin"],
        number="FS-HT-2026-0001",
    )


def rows(response) -> list[str]:
    """The table body's rows, as text (tags stripped), in order."""
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    tbody = body.split("<tbody", 1)[1].split(">", 1)[1].split("</tbody>", 1)[0]
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip()) for r in tbody.split("</tr>")[:-1]]


def export(client, **params) -> list[list[str]]:
    response = client.get(URL, {**params, "_export": "csv"})
    assert response.status_code == 200
    text = response.getvalue().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def label(choice) -> str:
    with translation.override("zh-hans"):
        return str(choice.label)


def test_the_auditor_sees_the_reports_of_their_palace_begun_so_far(roles, contract, foshan_contract, client_for):
    found = rows(client_for(roles["auditor"]).get(URL))
    assert len(found) == 3  # January to March; April's period has not begun
    assert all("WS-HT-2026-0001" in r for r in found)
    january = next(r for r in found if r.startswith("2026-01"))
    assert "86.50" in january and label(ServiceReport.State.ACCEPTED) in january
    assert "2026-02-03 09:00" in january  # the submission, in the palace's time
    body = client_for(roles["auditor"]).get(URL).content.decode()
    report = contract.reports.get(sequence=1)
    assert reverse("contracts:report_detail", args=[report.pk]) in body


def test_an_auditor_of_another_palace_sees_none_of_them_also_not_in_the_export(
    roles, contract, foshan_contract, client_for
):
    client = client_for(roles["other_auditor"])
    found = rows(client.get(URL))
    assert found and all("FS-HT-2026-0001" in r and "WS-HT-2026-0001" not in r for r in found)
    exported = export(client)
    assert len(exported) == 1 + 3
    assert not any("WS-HT-2026-0001" in cell or "HYPERLINK" in cell for row in exported for cell in row)


def test_search_state_and_period_filters_narrow_the_rows(roles, contract, foshan_contract, client_for, superuser):
    client = client_for(superuser)  # both palaces, so the palace filter is offered too
    assert len(rows(client.get(URL))) == 6
    assert all("FS-HT" in r for r in rows(client.get(URL, {"q": "fs-ht-2026"})))
    assert len(rows(client.get(URL, {"q": "fs-ht-2026"}))) == 3
    accepted = rows(client.get(URL, {"status": ServiceReport.State.ACCEPTED}))
    assert len(accepted) == 1 and accepted[0].startswith("2026-01") and "WS-HT-2026-0001" in accepted[0]
    february = rows(client.get(URL, {"date_from": "2026-02-10", "date_to": "2026-02-20"}))
    assert len(february) == 2 and all(r.startswith("2026-02") for r in february)
    palace = rows(client.get(URL, {"palace": contract.palace_id}))
    assert len(palace) == 3 and all("WS-HT" in r for r in palace)


def test_rows_sort_by_a_column(roles, contract, client_for):
    client = client_for(roles["auditor"])
    newest_first = [r[:7] for r in rows(client.get(URL))]
    assert newest_first == ["2026-03", "2026-02", "2026-01"]
    assert [r[:7] for r in rows(client.get(URL, {"sort": "period"}))] == ["2026-01", "2026-02", "2026-03"]
    by_state = rows(client.get(URL, {"sort": "state"}))
    assert by_state[0].startswith("2026-01")  # "accepted" sorts first


def test_the_csv_export_has_the_filtered_rows_in_words_and_runs_no_formula(roles, contract, client_for):
    exported = export(client_for(roles["auditor"]), status=ServiceReport.State.SUBMITTED)
    header, *data = exported
    assert len(data) == 1 and len(header) == len(data[0])
    assert data[0][0] == "2026-02"
    assert f"'{HOSTILE}" in data[0]
    assert label(ServiceReport.State.SUBMITTED) in data[0]
    assert "2026-03-04 16:30" in data[0]
    assert "—" not in data[0]  # no score yet: an empty cell, not a dash
    xlsx = client_for(roles["auditor"]).get(URL, {"_export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_first_page_costs_the_same_queries_with_more_rows(roles, wenshang, contract, client_for):
    client = client_for(roles["auditor"])
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert len(rows(client.get(URL))) == 3
    for n in range(6):
        active_contract(
            palace=wenshang,
            provider=roles["provider_a"].provider,
            provider_user=roles["provider_a"],
            admin=roles["admin"],
            number=f"WS-HT-2026-01{n:02d}",
        )
    with CaptureQueriesContext(connection) as many:
        assert len(rows(client.get(URL))) == 21
    assert len(many) == len(few)


def test_the_export_says_what_the_page_shows_cell_for_cell(roles, contract, client_for):
    # January accepted with its score, February submitted, March still to come: a neutralised provider name,
    # moments in the palace's time and empty cells all read alike in both.
    assert assert_export_matches_page(client_for(roles["auditor"]), URL) == 3
