"""The audit desk's evaluation tables, as an auditor uses them: contracts with their standing and
milestones, inspections, rectification orders and final evaluations — only their palace's rows,
searched, filtered, sorted, and exported to a spreadsheet that runs nothing.

The first four tables are read on 2026-03-10, after a February and a March of real inputs
through the services; the final evaluations at the end of a term recorded by tests/final_builders.py.
"""

import csv
import html
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from contracts import services as contract_services
from contracts.models import Contract
from core.models import IssuedDocument, Membership, Role, User
from evaluations import services
from evaluations.models import FinalEvaluation, FinalRating, Finding, Inspection, RectificationOrder
from evaluations.realtime.charts import standing_word
from procurement.models import Provider
from tests.contract_builders import active_contract, draft_contract
from tests.factories import ProviderFactory, evidence_for, provider_user, staff
from tests.final_builders import final_evaluation, opened_evaluation

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://x","y")'


def at(y, m, d, h=10) -> datetime:
    return timezone.make_aware(datetime(y, m, d, h))


def url(slug: str) -> str:
    return reverse("desk:table", args=[slug])


def rows(response) -> list[str]:
    """The table body's rows, as text (tags stripped), in order."""
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    tbody = body.split("<tbody", 1)[1].split(">", 1)[1].split("</tbody>", 1)[0]
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip()) for r in tbody.split("</tr>")[:-1]]


def export(client, slug: str, **params) -> list[list[str]]:
    response = client.get(url(slug), {**params, "_export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def zh(text) -> str:
    """A label as the page shows it (Chinese, the default language)."""
    with translation.override("zh-hans"):
        return str(text() if callable(text) else text)


def one_query_count(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params or {}).status_code == 200
    return len(queries)


# --- a palace's February and March -----------------------------------------------------------------


@dataclass
class World:
    a: Contract  # 汶上: a good inspection in March (green), a spot check assigned, a milestone released
    b: Contract  # 汶上: failed in February (order passed), a red line in March (red, order open)
    c: Contract  # 汶上: in force, no input this month (no score yet)
    f: Contract  # 佛山: a failed inspection and its order
    good: Inspection
    spot: Inspection
    failed: Inspection
    passed_order: RectificationOrder
    red_line_order: RectificationOrder
    foshan_order: RectificationOrder


def checklist_of(admin, palace):
    return services.checklist_create(
        actor=admin,
        palace_id=palace.pk,
        category="training",
        name="培训服务现场检查表",
        items=[
            services.ChecklistItemInput("师资到位、按课表授课", Decimal(40)),
            services.ChecklistItemInput("场地安全、消防通道畅通", Decimal(30)),
            services.ChecklistItemInput("签到记录真实完整", Decimal(30)),
        ],
    )


def inspected(admin, evaluator, contract, checklist, day: date, points, kind=Inspection.Kind.SCHEDULED) -> Inspection:
    inspection = services.inspection_assign(
        actor=admin,
        contract=contract,
        checklist=checklist,
        inspector=evaluator,
        due_on=day,
        kind=kind,
        now=at(day.year, day.month, day.day, 8),
    )
    items = {
        item.pk: services.ItemScoreInput(Decimal(p), "签到表缺页" if p < 60 else "")
        for item, p in zip(checklist.items.all(), points, strict=True)
    }
    return services.inspection_submit(
        actor=evaluator,
        inspection=inspection,
        items=items,
        inspected_on=day,
        notes="现场检查",
        now=at(day.year, day.month, day.day, 15),
    )


@pytest.fixture
def world(roles, wenshang, foshan):
    admin, evaluator = roles["admin"], roles["evaluator"]
    evaluator.full_name = "王建国"
    evaluator.save()
    Provider.objects.filter(pk=roles["provider_a"].provider.pk).update(name=HOSTILE)
    provider_a, provider_b = Provider.objects.get(pk=roles["provider_a"].provider.pk), roles["provider_b"].provider
    with time_machine.travel(at(2026, 2, 10, 8), tick=False) as traveller:
        a = active_contract(
            palace=wenshang,
            provider=provider_a,
            provider_user=roles["provider_a"],
            admin=admin,
            number="WS-HT-2026-0001",
        )
        b = active_contract(
            palace=wenshang,
            provider=provider_b,
            provider_user=roles["provider_b"],
            admin=admin,
            number="WS-HT-2026-0002",
            starts_on=date(2026, 2, 1),
        )
        c = active_contract(
            palace=wenshang,
            provider=provider_a,
            provider_user=roles["provider_a"],
            admin=admin,
            number="WS-HT-2026-0003",
        )
        fs_provider = ProviderFactory(palace=foshan, verified=True, name="佛山市社工服务中心")
        f = active_contract(
            palace=foshan,
            provider=fs_provider,
            provider_user=provider_user(fs_provider),
            admin=roles["other_admin"],
            number="FS-HT-2026-0001",
        )
        checklist = checklist_of(admin, wenshang)

        # February: B fails an inspection; the provider answers, the re-inspection passes the order.
        failed = inspected(admin, evaluator, b, checklist, date(2026, 2, 10), [40, 70, 20])
        passed_order = RectificationOrder.objects.get(contract=b, trigger="score")
        traveller.move_to(at(2026, 2, 12))
        services.order_respond(
            actor=roles["provider_b"],
            order=passed_order,
            evidence=evidence_for(passed_order),
            responses={f.pk: "已整改" for f in passed_order.findings.all()},
        )
        traveller.move_to(at(2026, 2, 16))
        services.order_reinspect(
            actor=evaluator,
            order=passed_order,
            outcomes={f.pk: (Finding.Outcome.RESOLVED, "") for f in passed_order.findings.all()},
        )

        # March: A inspected well, a spot check on A to come; a red line on B.
        traveller.move_to(at(2026, 3, 5, 8))
        good = inspected(admin, evaluator, a, checklist, date(2026, 3, 5), [90, 90, 90])
        spot = services.inspection_assign(
            actor=admin,
            contract=a,
            checklist=checklist,
            inspector=evaluator,
            due_on=date(2026, 3, 13),
            kind=Inspection.Kind.SPOT,
        )
        line = services.red_line_record(
            actor=evaluator,
            contract=b,
            category="charging",
            occurred_on=date(2026, 3, 5),
            description="向职工收取资料费",
        )
        red_line_order = RectificationOrder.objects.get(red_line=line)
        contract_services.milestone_release(actor=admin, milestone=a.milestones.get(position=1))
        fs_checklist = checklist_of(roles["other_admin"], foshan)
        inspected(roles["other_admin"], staff(foshan, Role.EVALUATOR), f, fs_checklist, date(2026, 3, 5), [30, 30, 30])
        foshan_order = RectificationOrder.objects.get(contract=f)

        traveller.move_to(at(2026, 3, 10))
        yield World(
            a=a,
            b=b,
            c=c,
            f=f,
            good=good,
            spot=spot,
            failed=failed,
            passed_order=passed_order,
            red_line_order=red_line_order,
            foshan_order=foshan_order,
        )


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("t-desk-root", "root@example.cn", "hezuo-demo")


# --- contracts, with their standing and milestones -------------------------------------------------


def test_the_auditor_sees_each_contract_with_its_standing_and_milestones(roles, world, client_for):
    found = {r.split()[0]: r for r in rows(client_for(roles["auditor"]).get(url("contracts")))}
    assert set(found) == {"WS-HT-2026-0001", "WS-HT-2026-0002", "WS-HT-2026-0003"}
    assert zh(lambda: standing_word("green")) in found["WS-HT-2026-0001"] and "90.00" in found["WS-HT-2026-0001"]
    assert "1/3" in found["WS-HT-2026-0001"] and "¥36,000.00" in found["WS-HT-2026-0001"]
    red = found["WS-HT-2026-0002"]
    assert zh(lambda: standing_word("red")) in red and zh(lambda: translation.gettext("red line")) in red
    assert zh(lambda: standing_word("none")) in found["WS-HT-2026-0003"]
    assert "2026-02-01 – 2027-01-31" in red
    body = client_for(roles["auditor"]).get(url("contracts")).content.decode()
    assert reverse("contracts:contract_detail", args=[world.a.pk]) in body


def test_a_withheld_milestone_shows_on_its_contract(roles, world, client_for):
    # An exit withholds the last milestone (evaluations.services.exit); only the row's display is under test here.
    world.c.milestones.filter(position=3).update(withheld_at=timezone.now(), withheld_reason="退出合作")
    row = next(r for r in rows(client_for(roles["auditor"]).get(url("contracts"))) if r.startswith("WS-HT-2026-0003"))
    assert "0/3" in row and "¥36,000.00" in row  # 30 % of ¥120,000 withheld
    exported = export(client_for(roles["auditor"]), "contracts", q="WS-HT-2026-0003")
    header, data = exported[0], exported[1]
    assert data[header.index(zh(lambda: translation.gettext("Amount withheld")))] == "36000.00"


def test_an_auditor_of_another_palace_sees_none_of_the_contracts(roles, world, client_for):
    client = client_for(roles["other_auditor"])
    assert [r.split()[0] for r in rows(client.get(url("contracts")))] == ["FS-HT-2026-0001"]
    exported = export(client, "contracts")
    assert [r[0] for r in exported[1:]] == ["FS-HT-2026-0001"]


def test_contract_filters_and_sorting(roles, world, client_for):
    client = client_for(roles["auditor"])

    def numbers(**params):
        return [r.split()[0] for r in rows(client.get(url("contracts"), params))]

    assert numbers(standing="red") == ["WS-HT-2026-0002"]
    assert numbers(standing="green") == ["WS-HT-2026-0001"]
    assert numbers(q="0003") == ["WS-HT-2026-0003"]
    assert numbers(date_from="2026-01-15") == ["WS-HT-2026-0002"]  # the term that starts in February
    assert set(numbers(status=Contract.State.ACTIVE)) == {"WS-HT-2026-0001", "WS-HT-2026-0003"}
    assert numbers(status=Contract.State.RECTIFICATION) == ["WS-HT-2026-0002"]
    assert numbers(sort="standing") == ["WS-HT-2026-0002", "WS-HT-2026-0001", "WS-HT-2026-0003"]  # worst first
    assert numbers(sort="-number") == ["WS-HT-2026-0003", "WS-HT-2026-0002", "WS-HT-2026-0001"]


def test_the_contracts_export_has_words_and_runs_no_formula(roles, world, client_for):
    header, *data = export(client_for(roles["auditor"]), "contracts", sort="number")
    assert [r[0] for r in data] == ["WS-HT-2026-0001", "WS-HT-2026-0002", "WS-HT-2026-0003"]
    a = data[0]
    assert f"'{HOSTILE}" in a and HOSTILE not in a
    assert zh(Contract.State.ACTIVE.label) in a and zh(lambda: standing_word("green")) in a
    assert "1/3" in a and "36000.00" in a and "120000.00" in a
    assert "—" not in data[2]  # no score yet: an empty cell, not a dash
    assert data[2][header.index(zh(lambda: translation.gettext("Score this month")))] == ""


def test_the_contracts_page_costs_the_same_queries_with_more_rows(roles, world, wenshang, client_for):
    client = client_for(roles["auditor"])
    client.get(url("contracts"))
    few = one_query_count(client, url("contracts"))
    for _ in range(17):
        draft_contract(palace=wenshang, provider=roles["provider_b"].provider)
    assert len(rows(client.get(url("contracts")))) == 20
    assert one_query_count(client, url("contracts")) == few


# --- inspections ----------------------------------------------------------------------------------


def test_the_auditor_sees_the_inspections_but_never_a_score_before_submission(roles, world, client_for):
    found = rows(client_for(roles["auditor"]).get(url("inspections")))
    assert len(found) == 3 and not any("FS-HT" in r for r in found)
    spot = next(r for r in found if r.startswith("2026-03-13"))
    assert zh(Inspection.Kind.SPOT.label) in spot and zh(Inspection.State.ASSIGNED.label) in spot
    assert "王建国" in spot and "培训服务现场检查表" in spot
    assert not re.search(r"\d+\.\d\d", spot)  # no score
    good = next(r for r in found if r.startswith("2026-03-05"))
    assert "90.00" in good and "2026-03-05 15:00" in good
    body = client_for(roles["auditor"]).get(url("inspections")).content.decode()
    assert reverse("evaluations:inspection", args=[world.spot.pk]) in body


def test_an_auditor_of_another_palace_sees_none_of_the_inspections(roles, world, client_for):
    client = client_for(roles["other_auditor"])
    found = rows(client.get(url("inspections")))
    assert len(found) == 1 and "FS-HT-2026-0001" in found[0]
    assert not any("WS-HT" in cell for row in export(client, "inspections") for cell in row)


def test_inspection_filters_and_sorting(roles, world, client_for):
    client = client_for(roles["auditor"])

    def days(**params):
        return [r[:10] for r in rows(client.get(url("inspections"), params))]

    assert days() == ["2026-03-13", "2026-03-05", "2026-02-10"]  # newest first
    assert days(status=Inspection.State.ASSIGNED) == ["2026-03-13"]
    assert days(kind=Inspection.Kind.SPOT) == ["2026-03-13"]
    assert days(q="0002") == ["2026-02-10"]
    assert days(date_from="2026-03-01", date_to="2026-03-10") == ["2026-03-05"]
    assert days(sort="due_on") == ["2026-02-10", "2026-03-05", "2026-03-13"]


def test_the_inspections_export_keeps_an_unsubmitted_score_empty(roles, world, client_for):
    header, *data = export(client_for(roles["auditor"]), "inspections", q="WS-HT-2026-0001")
    assert len(data) == 2
    score = header.index(zh(lambda: translation.gettext("Score")))
    by_day = {r[0]: r for r in data}
    assert by_day["2026-03-13"][score] == "" and by_day["2026-03-05"][score] == "90.00"
    assert f"'{HOSTILE}" in by_day["2026-03-13"] and zh(Inspection.Kind.SPOT.label) in by_day["2026-03-13"]


def test_the_inspections_page_costs_the_same_queries_with_more_rows(roles, world, client_for):
    client = client_for(roles["auditor"])
    client.get(url("inspections"))
    few = one_query_count(client, url("inspections"))
    checklist = world.good.checklist
    for n in range(17):
        services.inspection_assign(
            actor=roles["admin"],
            contract=world.c,
            checklist=checklist,
            inspector=roles["evaluator"],
            due_on=date(2026, 4, 1 + n),
        )
    assert len(rows(client.get(url("inspections")))) == 20
    assert one_query_count(client, url("inspections")) == few


# --- rectification orders -------------------------------------------------------------------------


def test_the_auditor_sees_the_orders_with_their_reason_and_outcome(roles, world, client_for):
    found = {r.split()[0]: r for r in rows(client_for(roles["auditor"]).get(url("orders")))}
    assert set(found) == {world.passed_order.number, world.red_line_order.number}
    passed = found[world.passed_order.number]
    assert zh(RectificationOrder.State.PASSED.label) in passed and "2026-02-16" in passed
    with translation.override("zh-hans"):
        outcome = translation.ngettext(
            "%(resolved)d of %(count)d finding resolved (closed %(date)s)",
            "%(resolved)d of %(count)d findings resolved (closed %(date)s)",
            3,
        ) % {"resolved": 3, "count": 3, "date": "2026-02-16"}
    assert outcome in passed
    assert zh(RectificationOrder.State.OPEN.label) in found[world.red_line_order.number]
    body = client_for(roles["auditor"]).get(url("orders")).content.decode()
    assert reverse("evaluations:order", args=[world.red_line_order.pk]) in body


def test_an_auditor_of_another_palace_sees_none_of_the_orders(roles, world, client_for):
    client = client_for(roles["other_auditor"])
    assert [r.split()[0] for r in rows(client.get(url("orders")))] == [world.foshan_order.number]
    assert [r[0] for r in export(client, "orders")[1:]] == [world.foshan_order.number]


def test_order_filters_and_sorting(roles, world, client_for):
    client = client_for(roles["auditor"])

    def numbers(**params):
        return [r.split()[0] for r in rows(client.get(url("orders"), params))]

    passed, red = world.passed_order.number, world.red_line_order.number
    assert numbers() == [red, passed]  # newest first
    assert numbers(status=RectificationOrder.State.PASSED) == [passed]
    assert numbers(reason=RectificationOrder.Trigger.RED_LINE) == [red]
    assert numbers(date_from="2026-03-01") == [red]
    assert numbers(date_to="2026-02-28") == [passed]
    assert numbers(q=red) == [red]
    assert numbers(sort="issued_at") == [passed, red]


def test_the_orders_export_has_words_and_runs_no_formula(roles, world, client_for, superuser):
    Provider.objects.filter(pk=roles["provider_b"].provider.pk).update(name=HOSTILE)
    header, *data = export(client_for(superuser), "orders", status=RectificationOrder.State.OPEN)
    assert sorted(r[0] for r in data) == sorted([world.red_line_order.number, world.foshan_order.number])
    red = next(r for r in data if r[0] == world.red_line_order.number)

    def cell(name):
        return red[header.index(zh(lambda: translation.gettext(name)))]

    assert cell("State") == zh(RectificationOrder.State.OPEN.label)
    assert cell("Outcome") == "" and cell("Palace") == "汶上县工人文化宫"
    assert cell("Provider") == f"'{HOSTILE}"
    assert cell("Month") == "2026-03" and cell("Issued") == "2026-03-05"


def test_the_orders_page_costs_the_same_queries_with_more_rows(roles, world, client_for):
    client = client_for(roles["auditor"])
    client.get(url("orders"))
    few = one_query_count(client, url("orders"))
    for n in range(18):
        services.red_line_record(
            actor=roles["evaluator"],
            contract=world.a,
            category="absent",
            occurred_on=date(2026, 3, 6),
            description=f"未按时开课（第{n + 1}次）",
        )
    assert len(rows(client.get(url("orders")))) == 20
    assert one_query_count(client, url("orders")) == few


# --- final evaluations ----------------------------------------------------------------------------


@dataclass
class Finals:
    rated: FinalEvaluation  # 汶上, provider A: final 良好, its assessment report issued
    panel: FinalEvaluation  # 汶上, provider B: the panel at work
    foshan: FinalEvaluation  # 佛山: the panel at work; its term ends in January 2027
    report: IssuedDocument


@pytest.fixture
def finals(roles, wenshang, foshan, django_capture_on_commit_callbacks):
    Provider.objects.filter(pk=roles["provider_a"].provider.pk).update(name=HOSTILE)
    provider_a = Provider.objects.get(pk=roles["provider_a"].provider.pk)
    with django_capture_on_commit_callbacks(execute=True):
        rated = final_evaluation(
            palace=wenshang,
            provider=provider_a,
            provider_user=roles["provider_a"],
            admin=roles["admin"],
            number="WS-HT-2026-0001",
        )
    panel = opened_evaluation(
        palace=wenshang,
        provider=roles["provider_b"].provider,
        provider_user=roles["provider_b"],
        admin=roles["admin"],
        term=None,
        number="WS-HT-2026-0002",
    )
    fs_provider = ProviderFactory(palace=foshan, verified=True, name="佛山市社工服务中心")
    fs = opened_evaluation(
        palace=foshan,
        provider=fs_provider,
        provider_user=provider_user(fs_provider),
        admin=roles["other_admin"],
        term=None,
        number="FS-HT-2026-0001",
        starts_on=date(2026, 2, 1),
    )
    report = IssuedDocument.objects.get(kind=IssuedDocument.Kind.ASSESSMENT_REPORT)
    return Finals(rated=rated, panel=panel, foshan=fs, report=report)


@pytest.fixture
def province_auditor(wenshang, foshan):
    """An auditor of both palaces: the palace filter is theirs."""
    user = staff(wenshang, Role.AUDITOR, "t-prov-auditor")
    Membership.objects.create(user=user, palace=foshan, role=Role.AUDITOR)
    return user


def test_the_auditor_sees_the_final_evaluations_and_downloads_the_assessment_report(roles, finals, client_for):
    client = client_for(roles["auditor"])
    found = {r.split()[0]: r for r in rows(client.get(url("finals")))}
    assert set(found) == {"WS-HT-2026-0001", "WS-HT-2026-0002"}
    rated = found["WS-HT-2026-0001"]
    assert zh(FinalRating.GOOD.label) in rated and f"{finals.rated.total:.2f}" in rated
    assert zh(FinalEvaluation.State.FINAL.label) in rated and zh(lambda: translation.gettext("No")) in rated
    body = client.get(url("finals")).content.decode()
    link = reverse("document_download", args=[finals.report.pk])
    assert body.count(link) == 1  # the panel's evaluation has no report yet
    pdf = client.get(link)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_an_auditor_of_another_palace_sees_none_of_the_final_evaluations(roles, finals, client_for):
    client = client_for(roles["other_auditor"])
    assert [r.split()[0] for r in rows(client.get(url("finals")))] == ["FS-HT-2026-0001"]
    exported = export(client, "finals")
    assert [r[0] for r in exported[1:]] == ["FS-HT-2026-0001"]
    assert str(finals.report.pk) not in "".join(",".join(r) for r in exported)


def test_the_province_auditor_filters_one_palace_and_downloads_its_report(
    finals, province_auditor, wenshang, client_for
):
    client = client_for(province_auditor)

    def numbers(**params):
        return sorted(r.split()[0] for r in rows(client.get(url("finals"), params)))

    assert numbers() == ["FS-HT-2026-0001", "WS-HT-2026-0001", "WS-HT-2026-0002"]
    assert numbers(palace=wenshang.pk) == ["WS-HT-2026-0001", "WS-HT-2026-0002"]
    assert numbers(rating=FinalRating.GOOD) == ["WS-HT-2026-0001"]
    assert numbers(status=FinalEvaluation.State.PANEL) == ["FS-HT-2026-0001", "WS-HT-2026-0002"]
    assert numbers(q="佛山市社工") == ["FS-HT-2026-0001"]
    assert numbers(date_to="2026-12-31") == ["WS-HT-2026-0001", "WS-HT-2026-0002"]  # 佛山's term ends in 2027
    assert numbers(date_from="2027-01-01") == ["FS-HT-2026-0001"]
    page = client.get(url("finals"), {"palace": wenshang.pk, "rating": FinalRating.GOOD}).content.decode()
    link = reverse("document_download", args=[finals.report.pk])
    assert link in page
    assert client.get(link).status_code == 200


def test_final_evaluations_sort_by_a_column(roles, finals, client_for):
    client = client_for(roles["auditor"])
    by_provider = [r.split()[0] for r in rows(client.get(url("finals"), {"sort": "provider"}))]
    assert by_provider == ["WS-HT-2026-0001", "WS-HT-2026-0002"]  # "=HYPERLINK…" sorts before "筑安…"
    assert [r.split()[0] for r in rows(client.get(url("finals"), {"sort": "-provider"}))] == list(reversed(by_provider))


def test_the_final_evaluations_export_has_words_and_the_report_link(roles, finals, client_for):
    header, *data = export(client_for(roles["auditor"]), "finals", sort="contract")
    assert [r[0] for r in data] == ["WS-HT-2026-0001", "WS-HT-2026-0002"]
    rated, panel = data
    assert f"'{HOSTILE}" in rated and HOSTILE not in rated
    assert f"{zh(FinalRating.GOOD.label)} ({finals.rated.total:.2f})" in rated
    report = header.index(zh(lambda: translation.gettext("Assessment report")))
    assert rated[report] == "http://testserver" + reverse("document_download", args=[finals.report.pk])
    assert panel[report] == "" and "—" not in panel


def test_the_final_evaluations_page_costs_the_same_queries_with_more_rows(roles, finals, wenshang, client_for):
    client = client_for(roles["auditor"])
    client.get(url("finals"))
    few = one_query_count(client, url("finals"))
    for n in range(18):
        opened_evaluation(
            palace=wenshang,
            provider=roles["provider_b"].provider,
            provider_user=roles["provider_b"],
            admin=roles["admin"],
            term=None,
            number=f"WS-HT-2026-01{n:02d}",
        )
    assert len(rows(client.get(url("finals")))) == 20
    assert one_query_count(client, url("finals")) == few
