"""The inspection, red-line, checklist and weights pages, and the evaluator's inbox, as their users see them.

Pages render in Chinese by default. Messages are compared with the service's (or the
view's) message rendered in the page's language, so these tests hold before and after
the lead translates them.
"""

import html
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

import evaluations.realtime.sections  # noqa: F401  (registers the section and the evidence file policy)
from core.audit import verify_chain
from core.models import AuditEvent, Notification, Role, StoredFile
from core.registry import page_sections
from core.uploads import ERR_TOO_LARGE, ERR_TYPE
from evaluations import services
from evaluations.models import (
    ChecklistTemplate,
    IndicatorWeights,
    Inspection,
    InspectionItemScore,
    PeriodScore,
    RectificationOrder,
    RedLine,
)
from evaluations.realtime.checklists import STANDARD_CHECKLISTS
from evaluations.realtime.services import inspections
from evaluations.realtime.services.inspections import ERR_CHECKLIST_WEIGHTS, ERR_ITEMS
from evaluations.realtime.services.settings import ERR_WEIGHTS_SUM
from tests.contract_builders import active_contract
from tests.factories import PNG_BYTES, evidence_for, png_upload, staff

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
# The contracts run 2026-01-01 – 2026-12-31.
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SH)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def on_day():
    with time_machine.travel(NOW, tick=False):
        yield TODAY


@pytest.fixture
def contract(roles, wenshang):
    return active_contract(
        palace=wenshang, provider=roles["provider_a"].provider, provider_user=roles["provider_a"], admin=roles["admin"]
    )


@pytest.fixture
def checklist(roles, wenshang):
    return services.checklist_create(
        actor=roles["admin"],
        palace_id=wenshang.pk,
        category="training",
        name="培训服务现场检查表",
        items=[
            services.ChecklistItemInput("师资到位、按课表授课", Decimal(40)),
            services.ChecklistItemInput("场地安全、消防通道畅通", Decimal(30)),
            services.ChecklistItemInput("签到记录真实完整", Decimal(30)),
        ],
    )


@pytest.fixture
def spot_check(roles, contract, checklist):
    return services.inspection_assign(
        actor=roles["admin"],
        contract=contract,
        checklist=checklist,
        inspector=roles["evaluator"],
        due_on=TODAY + timedelta(days=3),
        kind=Inspection.Kind.SPOT,
    )


def zh(message, **params) -> str:
    """A message as the Chinese page shows it (the English msgid until the lead translates it)."""
    with translation.override("zh-hans"):
        text = translation.gettext(message) if isinstance(message, str) else str(message)
        return text % params if params else text


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def followed(response) -> str:
    assert response.status_code == 302, response.status_code
    return page(response.client.get(response["Location"]))


def scores_post(checklist, points, *, day=TODAY, notes="", evidence=None) -> dict:
    data = {"inspected_on": f"{day:%Y-%m-%d}", "notes": notes}
    for item, p in zip(checklist.items.all(), points, strict=True):
        data[f"points_{item.pk}"] = p
        data[f"note_{item.pk}"] = "签到表缺页" if p not in ("", None) and Decimal(p) < 60 else ""
    if evidence is not None:
        data["evidence"] = evidence
    return data


def submit(roles, inspection, points, day=TODAY):
    items = {
        item.pk: services.ItemScoreInput(Decimal(p))
        for item, p in zip(inspection.checklist.items.all(), points, strict=True)
    }
    return services.inspection_submit(
        actor=roles["evaluator"], inspection=inspection, items=items, inspected_on=day, notes="现场整洁"
    )


def nothing_saved(inspection) -> None:
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.ASSIGNED and inspection.score is None
    assert not InspectionItemScore.objects.exists()
    assert not StoredFile.objects.filter(purpose="evaluation_evidence").exists()
    assert not PeriodScore.objects.exists()


# --- checklists ---------------------------------------------------------------------------------


def test_checklist_whose_weights_do_not_add_up_to_100_is_refused_with_the_message(roles, wenshang, client_for):
    client = client_for(roles["admin"])
    body = page(client.get(reverse("evaluations:checklist_create")))
    assert '<html lang="zh-hans"' in body and 'name="items-TOTAL_FORMS"' in body
    response = client.post(
        reverse("evaluations:checklist_create"),
        {
            "palace": wenshang.pk,
            "name": "文体活动检查表",
            "category": "culture",
            "items-TOTAL_FORMS": "4",
            "items-INITIAL_FORMS": "0",
            "items-0-text": "活动按计划开展",
            "items-0-weight": "40",
            "items-1-text": "场地安全",
            "items-1-weight": "30",
            "items-2-text": "签到真实",
            "items-2-weight": "20",
            "items-3-text": "",
            "items-3-weight": "",
        },
    )
    body = page(response)
    assert zh(ERR_CHECKLIST_WEIGHTS, total="90") in body
    assert "活动按计划开展" in body  # the rows typed are kept to correct
    assert not ChecklistTemplate.objects.exists()


def test_admin_creates_a_checklist_with_added_and_removed_rows(roles, wenshang, client_for):
    client = client_for(roles["admin"])
    rows = {
        "palace": wenshang.pk,
        "name": "文体活动检查表",
        "category": "culture",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-0-text": "活动按计划开展",
        "items-0-weight": "60",
        "items-1-text": "要删掉的一行",
        "items-1-weight": "15",
        "items-1-DELETE": "on",
        "items-2-text": "签到真实",
        "items-2-weight": "40",
    }
    # "Add a row" saves nothing and shows one more blank row.
    body = page(client.post(reverse("evaluations:checklist_create"), {**rows, "add_row": "1"}))
    assert 'name="items-3-text"' in body and not ChecklistTemplate.objects.exists()
    body = followed(client.post(reverse("evaluations:checklist_create"), rows))
    checklist = ChecklistTemplate.objects.get()
    assert checklist.palace == wenshang and checklist.category == "culture"
    assert [(i.text, i.weight) for i in checklist.items.all()] == [("活动按计划开展", 60), ("签到真实", 40)]
    assert "文体活动检查表" in body
    assert AuditEvent.objects.filter(action="checklist.created").exists()


def test_standard_checklists_button_adds_one_per_category_once(roles, wenshang, client_for, checklist):
    client = client_for(roles["admin"])
    body = page(client.get(reverse("evaluations:checklist_list")))
    assert "培训服务现场检查表" in body and "40" in body and "30" in body  # the weights shown
    body = followed(client.post(reverse("evaluations:checklist_list"), {"action": "standard", "palace": wenshang.pk}))
    # Training had a checklist already: the other five categories get the standard one.
    assert ChecklistTemplate.objects.count() == 6
    assert ChecklistTemplate.objects.filter(category="training").count() == 1
    for category, (name, items) in STANDARD_CHECKLISTS.items():
        assert sum(w for _, w in items) == 100
        if category != "training":
            assert name in body
    followed(client.post(reverse("evaluations:checklist_list"), {"action": "standard", "palace": wenshang.pk}))
    assert ChecklistTemplate.objects.count() == 6


def test_a_checklist_taken_out_of_use_is_not_offered_for_new_inspections(roles, contract, checklist, client_for):
    client = client_for(roles["admin"])
    followed(client.post(reverse("evaluations:checklist_list"), {"action": "deactivate", "checklist": checklist.pk}))
    checklist.refresh_from_db()
    assert not checklist.is_active
    body = page(client.get(reverse("evaluations:inspection_assign", args=[contract.pk])))
    assert f'value="{checklist.pk}"' not in body


# --- assigning ----------------------------------------------------------------------------------


def test_admin_assigns_a_spot_check_with_the_contract_category_checklist_first(
    roles, wenshang, contract, checklist, client_for
):
    culture = services.checklist_create(
        actor=roles["admin"],
        palace_id=wenshang.pk,
        category="culture",
        name="文化活动检查表",
        items=[services.ChecklistItemInput("x", Decimal(100))],
    )
    client = client_for(roles["admin"])
    body = page(client.get(reverse("evaluations:inspection_assign", args=[contract.pk])))
    assert body.index("培训服务现场检查表") < body.index("文化活动检查表")  # the project is a training one
    assert str(roles["evaluator"]) in body
    response = client.post(
        reverse("evaluations:inspection_assign", args=[contract.pk]),
        {"checklist": checklist.pk, "inspector": roles["evaluator"].pk, "due_on": "2026-03-13", "kind": "spot"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#inspections")
    inspection = Inspection.objects.get()
    assert (inspection.checklist, inspection.inspector, inspection.due_on, inspection.kind) == (
        checklist,
        roles["evaluator"],
        date(2026, 3, 13),
        "spot",
    )
    assert Notification.objects.filter(recipient=roles["evaluator"]).exists()
    assert not Notification.objects.filter(recipient=roles["provider_a"], subject__contains="Inspect").exists()
    assert culture.pk != checklist.pk


def test_only_evaluators_of_the_palace_can_be_chosen_as_inspector(roles, foshan, contract, checklist, client_for):
    outsider = staff(foshan, Role.EVALUATOR, "t-fs-eval")
    client = client_for(roles["admin"])
    body = page(
        client.post(
            reverse("evaluations:inspection_assign", args=[contract.pk]),
            {"checklist": checklist.pk, "inspector": outsider.pk, "due_on": "2026-03-13", "kind": "scheduled"},
        )
    )
    assert str(outsider) not in body.split('name="inspector"')[1].split("</select>")[0]
    assert not Inspection.objects.exists()


# --- the inspector's form -----------------------------------------------------------------------


def test_inspector_submits_the_form_and_the_month_score_moves(roles, spot_check, client_for):
    client = client_for(roles["evaluator"])
    body = page(client.get(reverse("evaluations:inspection", args=[spot_check.pk])))
    assert "师资到位、按课表授课" in body and 'inputmode="decimal"' in body and 'type="file"' in body
    response = client.post(
        reverse("evaluations:inspection", args=[spot_check.pk]),
        scores_post(
            spot_check.checklist,
            ["90", "80", "86"],
            notes="现场秩序良好",
            evidence=[png_upload("现场照片.png"), png_upload("签到表.png")],
        ),
    )
    body = followed(response)
    month = PeriodScore.objects.get(contract=spot_check.contract, month=date(2026, 3, 1))
    assert month.score == Decimal("85.80") and month.standing == "green"  # 90×.4 + 80×.3 + 86×.3
    assert (
        zh(
            "Submitted: %(score)s points. The score of %(contract)s for %(month)s is now %(month_score)s.",
            score="85.80",
            contract=spot_check.contract.number,
            month="2026-03",
            month_score="85.80",
        )
        in body
    )
    read_only = body.split('id="result"')[1]
    assert "85.80" in read_only and "现场秩序良好" in read_only and "现场照片.png" in read_only
    assert 'name="points_' not in body  # no form once submitted
    spot_check.refresh_from_db()
    assert spot_check.state == Inspection.State.SUBMITTED and spot_check.inspected_on == TODAY
    assert spot_check.evidence.count() == 2
    # A second, poor inspection the same month pulls the month down, as the page says.
    second = services.inspection_assign(
        actor=roles["admin"],
        contract=spot_check.contract,
        checklist=spot_check.checklist,
        inspector=roles["evaluator"],
        due_on=TODAY,
    )
    body = followed(
        client.post(
            reverse("evaluations:inspection", args=[second.pk]), scores_post(second.checklist, ["50", "60", "70"])
        )
    )
    month.refresh_from_db()
    assert month.score == Decimal("72.40")  # (85.80 + 59.00) ÷ 2
    assert "72.40" in body.split('id="month-score"')[1].split("</p>")[0]


@pytest.mark.parametrize("bad", ["101", "-1", ""])
def test_an_item_score_outside_0_to_100_or_missing_is_refused_and_nothing_is_saved(roles, spot_check, client_for, bad):
    response = client_for(roles["evaluator"]).post(
        reverse("evaluations:inspection", args=[spot_check.pk]),
        scores_post(spot_check.checklist, ["90", bad, "80"], evidence=[png_upload()]),
    )
    body = page(response)
    assert zh(ERR_ITEMS) in body
    assert f'value="{bad}"' in body if bad else True  # what was typed is kept to correct
    nothing_saved(spot_check)


def test_a_50_mb_evidence_file_is_refused(roles, spot_check, client_for):
    big = SimpleUploadedFile("大照片.png", PNG_BYTES + b"\0" * (50 * 1024 * 1024), content_type="image/png")
    body = page(
        client_for(roles["evaluator"]).post(
            reverse("evaluations:inspection", args=[spot_check.pk]),
            scores_post(spot_check.checklist, ["90", "80", "70"], evidence=[big]),
        )
    )
    with translation.override("zh-hans"):
        expected = str(ERR_TOO_LARGE) % {
            "name": "大照片.png",
            "size": filesizeformat(big.size),
            "limit": filesizeformat(10 * 1024 * 1024),
        }
    assert expected in body
    nothing_saved(spot_check)


def test_an_exe_renamed_jpg_is_refused_by_its_content(roles, spot_check, client_for):
    exe = SimpleUploadedFile(
        "现场.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 200, content_type="image/jpeg"
    )
    body = page(
        client_for(roles["evaluator"]).post(
            reverse("evaluations:inspection", args=[spot_check.pk]),
            scores_post(spot_check.checklist, ["90", "80", "70"], evidence=[exe]),
        )
    )
    assert zh(ERR_TYPE, name="现场.jpg", allowed="JPEG、PDF、PNG") in body
    nothing_saved(spot_check)


def test_another_evaluator_cannot_submit_the_inspection(roles, wenshang, spot_check, client_for):
    colleague = client_for(staff(wenshang, Role.EVALUATOR, "t-ws-eval-2"))
    response = colleague.post(
        reverse("evaluations:inspection", args=[spot_check.pk]), scores_post(spot_check.checklist, ["90", "80", "70"])
    )
    assert response.status_code == 403
    body = page(colleague.get(reverse("evaluations:inspection", args=[spot_check.pk])))
    assert 'name="points_' not in body and str(roles["evaluator"]) in body  # read-only: who is to inspect
    nothing_saved(spot_check)


def test_provider_does_not_see_a_spot_check_until_it_is_submitted(roles, spot_check, client_for):
    url = reverse("evaluations:inspection", args=[spot_check.pk])
    provider, other = client_for(roles["provider_a"]), client_for(roles["provider_b"])
    assert provider.get(url).status_code == 404
    assert other.get(url).status_code == 404
    assert provider.post(url, scores_post(spot_check.checklist, ["1", "1", "1"])).status_code == 404
    section = _section_for(roles["provider_a"], spot_check.contract)
    assert section.context["inspections"] == []  # not listed on the contract page either

    client_for(roles["evaluator"]).post(
        url, scores_post(spot_check.checklist, ["90", "80", "86"], evidence=[png_upload("现场照片.png")])
    )
    body = page(provider.get(url))
    assert "85.80" in body and "师资到位、按课表授课" in body
    assert other.get(url).status_code == 403
    evidence = spot_check.evidence.get().file
    download = reverse("file_download", args=[evidence.pk])
    assert provider.get(download).status_code == 200
    assert other.get(download).status_code == 403
    assert client_for(roles["auditor"]).get(download).status_code == 200
    assert client_for(roles["other_admin"]).get(download).status_code == 403
    assert [i.pk for i in _section_for(roles["provider_a"], spot_check.contract).context["inspections"]] == [
        spot_check.pk
    ]


# --- red lines ----------------------------------------------------------------------------------


def test_red_line_through_the_form_fails_the_month_and_issues_an_order(
    roles, contract, checklist, spot_check, client_for
):
    submit(roles, spot_check, [95, 95, 95])
    client = client_for(roles["evaluator"])
    body = page(client.get(reverse("evaluations:red_line_record", args=[contract.pk])))
    assert zh("A red line fails the month, whatever its score.") in body
    response = client.post(
        reverse("evaluations:red_line_record", args=[contract.pk]),
        {
            "category": "charging",
            "occurred_on": "2026-03-08",
            "description": "向参训职工收取资料费每人 50 元",
            "evidence": [png_upload("收费凭证.png")],
        },
    )
    body = followed(response)
    red_line = RedLine.objects.get()
    order = RectificationOrder.objects.get(red_line=red_line)
    month = PeriodScore.objects.get(contract=contract, month=date(2026, 3, 1))
    assert month.score == Decimal("95.00") and month.standing == "red"
    assert (
        zh(
            "Red line recorded. The month of %(month)s fails, and rectification order %(number)s was issued to "
            "the provider.",
            month="2026-03",
            number=order.number,
        )
        in body
    )
    assert "向参训职工收取资料费每人 50 元" in body and "收费凭证.png" in body
    assert reverse("evaluations:order", args=[order.pk]) in body
    contract.refresh_from_db()
    assert contract.state == "rectification"
    # The provider reads the red line and downloads its evidence; the other provider does neither.
    url = reverse("evaluations:red_line", args=[red_line.pk])
    assert order.number in page(client_for(roles["provider_a"]).get(url))
    assert client_for(roles["provider_b"]).get(url).status_code == 403
    download = reverse("file_download", args=[red_line.evidence.get().file.pk])
    assert client_for(roles["provider_a"]).get(download).status_code == 200
    assert client_for(roles["provider_b"]).get(download).status_code == 403
    assert verify_chain().ok


def test_red_line_without_a_description_is_refused(roles, contract, client_for):
    body = page(
        client_for(roles["admin"]).post(
            reverse("evaluations:red_line_record", args=[contract.pk]),
            {"category": "safety", "occurred_on": "2026-03-08", "description": "  "},
        )
    )
    assert zh(inspections.ERR_DESCRIPTION) in body
    assert not RedLine.objects.exists() and not RectificationOrder.objects.exists()


# --- weights ------------------------------------------------------------------------------------


def test_weights_page_shows_the_defaults_and_refuses_a_set_not_adding_up_to_100(roles, client_for):
    client = client_for(roles["admin"])
    body = page(client.get(reverse("evaluations:weights")))
    boxes = body.split('class="hz-weights"')[1]
    assert [v in boxes for v in (">40<", ">20<", ">30<", ">10<")] == [True] * 4
    body = page(
        client.post(
            reverse("evaluations:weights"), {"inspections": "40", "reports": "20", "satisfaction": "30", "kpi": "20"}
        )
    )
    assert zh(ERR_WEIGHTS_SUM, total=110) in body
    assert not IndicatorWeights.objects.exists()


def test_new_weights_apply_at_once_to_this_month(roles, wenshang, contract, spot_check, client_for):
    submit(roles, spot_check, [90, 90, 90], day=date(2026, 3, 5))
    with transaction.atomic():  # a report scored 40 this month, as the report review would add it
        services.period_apply(contract=contract, day=date(2026, 3, 5), report=Decimal(40))
    month = PeriodScore.objects.get(contract=contract, month=date(2026, 3, 1))
    assert month.score == Decimal("73.33")  # (90×40 + 40×20) ÷ 60
    body = followed(
        client_for(roles["admin"]).post(
            reverse("evaluations:weights"),
            {"palace": wenshang.pk, "inspections": "70", "reports": "10", "satisfaction": "10", "kpi": "10"},
        )
    )
    weights = IndicatorWeights.objects.get(palace=wenshang)
    assert (weights.inspections, weights.reports, weights.satisfaction, weights.kpi) == (70, 10, 10, 10)
    month.refresh_from_db()
    assert month.score == Decimal("83.75")  # (90×70 + 40×10) ÷ 80
    assert ">70<" in body.split('class="hz-weights"')[1]
    event = AuditEvent.objects.get(action="indicator_weights.updated")
    assert event.before["inspections"] == 40 and event.after["inspections"] == 70


# --- the inbox ----------------------------------------------------------------------------------


def test_inbox_lists_due_overdue_reinspections_and_recent(roles, wenshang, contract, checklist, client_for):
    with time_machine.travel(TODAY - timedelta(days=3), tick=False):  # assigned then, overdue now
        overdue = services.inspection_assign(
            actor=roles["admin"],
            contract=contract,
            checklist=checklist,
            inspector=roles["evaluator"],
            due_on=TODAY - timedelta(days=2),
        )
    due = services.inspection_assign(
        actor=roles["admin"],
        contract=contract,
        checklist=checklist,
        inspector=roles["evaluator"],
        due_on=TODAY + timedelta(days=5),
    )
    done = services.inspection_assign(
        actor=roles["admin"], contract=contract, checklist=checklist, inspector=roles["evaluator"], due_on=TODAY
    )
    submit(roles, done, [70, 70, 70], day=date(2026, 3, 9))
    someone_else = staff(wenshang, Role.EVALUATOR, "t-ws-eval-2")
    services.inspection_assign(
        actor=roles["admin"], contract=contract, checklist=checklist, inspector=someone_else, due_on=TODAY
    )
    red_line = services.red_line_record(
        actor=roles["admin"],
        contract=contract,
        category="safety",
        occurred_on=date(2026, 3, 9),
        description="消防通道堵塞",
    )
    order = RectificationOrder.objects.get(red_line=red_line)
    assert order.reinspector is None  # recorded by the administrator: any evaluator re-inspects
    services.order_respond(
        actor=roles["provider_a"],
        order=order,
        evidence=evidence_for(order),
        responses={f.pk: "已清理消防通道" for f in order.findings.all()},
    )

    body = page(client_for(roles["evaluator"]).get(reverse("evaluations:inbox")))
    due_part = body.split('id="due"')[1].split('id="reinspections"')[0]
    assert due_part.count(reverse("evaluations:inspection", args=[overdue.pk])) >= 1
    assert reverse("evaluations:inspection", args=[due.pk]) in due_part
    assert due_part.index(f"/inspections/{overdue.pk}/") < due_part.index(f"/inspections/{due.pk}/")
    assert due_part.count('class="is-overdue"') == 1
    assert reverse("evaluations:inspection", args=[done.pk]) not in due_part
    reinspections = body.split('id="reinspections"')[1].split('id="recent"')[0]
    assert reverse("evaluations:order", args=[order.pk]) in reinspections and order.number in reinspections
    recent = body.split('id="recent"')[1]
    assert reverse("evaluations:inspection", args=[done.pk]) in recent and "70.00" in recent
    # Another evaluator's inspection is not in my inbox, but the unassigned re-inspection is in theirs too.
    theirs = page(client_for(someone_else).get(reverse("evaluations:inbox")))
    assert reverse("evaluations:inspection", args=[overdue.pk]) not in theirs
    assert order.number in theirs


def test_inbox_query_count_does_not_grow_with_inspections(
    roles, wenshang, contract, checklist, client_for, django_assert_max_num_queries
):
    client = client_for(roles["evaluator"])
    other = active_contract(
        palace=wenshang, provider=roles["provider_b"].provider, provider_user=roles["provider_b"], admin=roles["admin"]
    )

    def add(n):
        Inspection.objects.bulk_create(
            [
                Inspection(
                    contract=(contract, other)[k % 2],
                    checklist=checklist,
                    inspector=roles["evaluator"],
                    due_on=TODAY + timedelta(days=k - n // 2),
                    assigned_by=roles["admin"],
                    kind=("scheduled", "spot")[k % 2],
                )
                for k in range(n)
            ]
        )
        Inspection.objects.bulk_create(
            [
                Inspection(
                    contract=(contract, other)[k % 2],
                    checklist=checklist,
                    inspector=roles["evaluator"],
                    due_on=TODAY,
                    assigned_by=roles["admin"],
                    state=Inspection.State.SUBMITTED,
                    inspected_on=TODAY,
                    score=Decimal(80),
                    submitted_at=NOW,
                )
                for k in range(n)
            ]
        )

    add(5)
    with django_assert_max_num_queries(10) as small:
        page(client.get(reverse("evaluations:inbox")))
    add(45)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = page(client.get(reverse("evaluations:inbox")))
    assert body.count('class="is-overdue"') == 2 + 22


# --- the contract page's section ----------------------------------------------------------------


def _section_for(user, contract):
    request = RequestFactory().get("/")
    request.user = user
    sections = [
        s
        for s in page_sections("contracts.contract_detail", request, contract)
        if s.template == "evaluations/inspections/section_contract.html"
    ]
    return sections[0] if sections else None


def test_contract_section_offers_the_buttons_to_those_allowed(roles, contract, spot_check):
    from django.template.loader import render_to_string

    admin = _section_for(roles["admin"], contract)
    assert admin.context["can_assign"] and admin.context["can_record_red_line"]
    assert [i.pk for i in admin.context["inspections"]] == [spot_check.pk]
    with translation.override("zh-hans"):
        html_ = render_to_string(admin.template, {"section": admin})
    assert reverse("evaluations:inspection_assign", args=[contract.pk]) in html_
    assert reverse("evaluations:red_line_record", args=[contract.pk]) in html_
    evaluator = _section_for(roles["evaluator"], contract)
    assert not evaluator.context["can_assign"] and evaluator.context["can_record_red_line"]
    auditor = _section_for(roles["auditor"], contract)
    assert not auditor.context["can_assign"] and not auditor.context["can_record_red_line"]
    assert _section_for(roles["provider_b"], contract) is None
    assert _section_for(roles["other_admin"], contract) is None
