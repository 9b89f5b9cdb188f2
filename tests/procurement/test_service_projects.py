from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import DomainError, NotPermitted
from core.models import AuditEvent
from procurement import services
from procurement.models import ServiceProject

from ..factories import ServiceProjectFactory

KPIS = [
    services.KpiTargetInput("sessions", Decimal(24), "场"),
    services.KpiTargetInput("participant_visits", Decimal(600), "人次"),
]


def create(actor, palace, **overrides):
    args = {
        "actor": actor,
        "palace": palace,
        "name": "经典诵读",
        "category": "culture",
        "description": "",
        "budget": Decimal("36000"),
        "term_months": 12,
        "kpi_targets": KPIS,
    }
    args.update(overrides)
    return services.service_project_create(**args)


def test_admin_creates_a_project_with_typed_kpi_targets(roles, wenshang):
    project = create(roles["admin"], wenshang)
    assert [(k.metric, k.target, k.unit) for k in project.kpi_targets.all()] == [
        ("sessions", Decimal("24.00"), "场"),
        ("participant_visits", Decimal("600.00"), "人次"),
    ]
    event = AuditEvent.objects.get(action="service_project.created")
    assert event.after["budget"] == "36000" and event.after["kpi_targets"][0]["metric"] == "sessions"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"budget": Decimal("-1")}, services.ERR_BUDGET),
        ({"budget": Decimal("0")}, services.ERR_BUDGET),
        ({"term_months": 37}, services.ERR_TERM_RANGE),
        ({"kpi_targets": []}, services.ERR_NO_KPI),
        ({"kpi_targets": KPIS + KPIS[:1]}, services.ERR_DUPLICATE_KPI),
    ],
)
def test_project_validation_refuses_with_a_clear_message(roles, wenshang, overrides, error):
    with pytest.raises(DomainError) as exc:
        create(roles["admin"], wenshang, **overrides)
    assert exc.value.message == error
    assert not ServiceProject.objects.exists()
    assert not AuditEvent.objects.filter(action="service_project.created").exists()


def test_project_names_are_unique_per_palace(roles, wenshang, foshan):
    create(roles["admin"], wenshang)
    with pytest.raises(DomainError) as exc:
        create(roles["admin"], wenshang)
    assert exc.value.message == services.ERR_PROJECT_NAME_TAKEN
    create(roles["other_admin"], foshan)  # the same name elsewhere is fine


def test_only_the_palace_admin_manages_its_projects(roles, wenshang):
    for role in ("other_admin", "evaluator", "auditor", "provider_a"):
        with pytest.raises(NotPermitted):
            create(roles[role], wenshang)


def test_edit_records_before_and_after(roles, wenshang):
    project = create(roles["admin"], wenshang)
    services.service_project_update(
        actor=roles["admin"],
        project=project,
        name="经典诵读（第二期）",
        category="culture",
        description="扩大规模",
        budget=Decimal("40000"),
        term_months=12,
        is_active=True,
        kpi_targets=KPIS[:1],
    )
    event = AuditEvent.objects.get(action="service_project.updated")
    assert event.before["name"] == "经典诵读" and event.after["name"] == "经典诵读（第二期）"
    assert len(event.before["kpi_targets"]) == 2 and len(event.after["kpi_targets"]) == 1


def test_project_form_saves_a_project_with_its_kpi_rows(roles, wenshang, client_for):
    client = client_for(roles["admin"])
    data = {
        "palace": wenshang.pk,
        "name": "职工太极拳",
        "category": "sports",
        "description": "晨练",
        "budget": "24000",
        "term_months": "12",
        "is_active": "on",
        "kpi-TOTAL_FORMS": "2",
        "kpi-INITIAL_FORMS": "0",
        "kpi-MIN_NUM_FORMS": "0",
        "kpi-MAX_NUM_FORMS": "12",
        "kpi-0-metric": "sessions",
        "kpi-0-label": "",
        "kpi-0-target": "48",
        "kpi-0-unit": "场",
        "kpi-1-metric": "other",
        "kpi-1-label": "展演",
        "kpi-1-target": "2",
        "kpi-1-unit": "次",
    }
    response = client.post(reverse("procurement:project_create"), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    project = ServiceProject.objects.get(name="职工太极拳")
    assert project.kpi_targets.count() == 2


def test_project_form_without_kpis_or_with_a_huge_budget_says_why(roles, wenshang, client_for):
    client = client_for(roles["admin"])
    base = {
        "palace": wenshang.pk,
        "name": "x",
        "category": "sports",
        "description": "",
        "budget": "1e20",
        "term_months": "40",
        "kpi-TOTAL_FORMS": "1",
        "kpi-INITIAL_FORMS": "0",
        "kpi-MIN_NUM_FORMS": "0",
        "kpi-MAX_NUM_FORMS": "12",
        "kpi-0-metric": "",
        "kpi-0-target": "",
        "kpi-0-unit": "",
    }
    response = client.post(reverse("procurement:project_create"), base)
    assert response.status_code == 200
    assert "budget" in response.context["form"].errors
    assert "term_months" in response.context["form"].errors
    assert not ServiceProject.objects.exists()


def test_project_list_query_count_does_not_grow_with_projects(
    roles, wenshang, client_for, django_assert_max_num_queries
):
    client = client_for(roles["admin"])
    ServiceProjectFactory.create_batch(3, palace=wenshang)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("procurement:project_list"))
    ServiceProjectFactory.create_batch(30, palace=wenshang)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("procurement:project_list"))
