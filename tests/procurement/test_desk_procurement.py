"""Procurement's tables on the auditor's desk: recruitments, applications, panel scores, exclusions.

Each table once through its page and its CSV export, as the palace's auditor and as another
palace's auditor; and the seal: an application's points never show before its recruitment's
scores are compiled, on the page, in the export or in the scores table.
"""

import csv
import html
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from core.models import Role
from procurement import services
from procurement.models import Application, Exclusion, Recruitment, ScoreCorrection

from ..desk_pages import assert_export_matches_page
from ..factories import ProviderFactory, staff
from ..recruitment_builders import PROVIDER_NAMES, RecruitmentBuilder, Stage

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://x","y")'


def zh(message, context: str = "") -> str:
    """What the palace's reader is shown for ``message`` (Simplified Chinese, the default language)."""
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(message, str):
            return translation.pgettext(context, message) if context else translation.gettext(message)
        return str(message)


def url(slug: str) -> str:
    return reverse("desk:table", args=[slug])


def page(client, slug: str, **params) -> str:
    response = client.get(url(slug), params)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def export(client, slug: str, **params) -> list[list[str]]:
    response = client.get(url(slug), {**params, "_export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def column(rows: list[list[str]], header: str) -> list[str]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def body(text: str) -> str:
    """The table body only (the filter form lists every choice, whatever the rows)."""
    return text[text.index("<tbody") : text.index("</tbody>")]


def builder(palace, stage: Stage, **options) -> RecruitmentBuilder:
    return RecruitmentBuilder(palace=palace, **options).advance_to(stage)


# --- recruitments --------------------------------------------------------------------------------


def test_recruitments_are_the_auditors_palaces_filtered_sorted_and_exported(roles, wenshang, foshan, client_for):
    compiled = builder(wenshang, Stage.AWARDED, title="职工心理健康讲座招募")
    sealed = builder(wenshang, Stage.APPLIED, title="职工书法培训招募", provider_names=PROVIDER_NAMES[5:])
    elsewhere = builder(foshan, Stage.CLOSED, title="佛山职工篮球联赛招募")
    awarded, open_, foshan_one = compiled.recruitment, sealed.recruitment, elsewhere.recruitment
    client = client_for(roles["auditor"])

    rows = body(page(client, "recruitments"))
    assert awarded.number in rows and open_.number in rows
    assert foshan_one.number not in rows and foshan_one.title not in rows
    # The award's provider is named; the sealed recruitment shows its count of applications only.
    assert awarded.awarded_application.provider.name in rows
    assert f'href="{reverse("procurement:recruitment_detail", args=[awarded.pk])}"' in rows
    assert not any(p.name in rows for p in sealed.providers)

    assert foshan_one.number in body(page(client_for(roles["other_auditor"]), "recruitments"))
    foshan_csv = export(client_for(roles["other_auditor"]), "recruitments")
    assert column(foshan_csv, zh("Number")) == [foshan_one.number]

    only = body(page(client, "recruitments", q="书法"))
    assert open_.number in only and awarded.number not in only
    only = body(page(client, "recruitments", status=Recruitment.State.AWARDED))
    assert awarded.number in only and open_.number not in only
    # The awarded one opened 30 days ago, the sealed one today.
    today = timezone.localdate()
    only = body(page(client, "recruitments", date_from=(today - timedelta(days=1)).isoformat()))
    assert open_.number in only and awarded.number not in only
    only = body(page(client, "recruitments", date_to=(today - timedelta(days=10)).isoformat()))
    assert awarded.number in only and open_.number not in only

    # The awarded one was numbered first.
    ascending = body(page(client, "recruitments", sort="number"))
    descending = body(page(client, "recruitments", sort="-number"))
    assert ascending.index(awarded.title) < ascending.index(open_.title)
    assert descending.index(open_.title) < descending.index(awarded.title)

    rows = export(client, "recruitments", sort="number")
    assert column(rows, zh("Number")) == sorted([awarded.number, open_.number])
    states = dict(zip(column(rows, zh("Number")), column(rows, zh("State")), strict=True))
    assert states == {
        awarded.number: zh(Recruitment.State.AWARDED.label),
        open_.number: zh(Recruitment.State.PUBLISHED.label),
    }
    counts = dict(zip(column(rows, zh("Number")), column(rows, zh("Applications", "recruitment")), strict=True))
    assert counts == {awarded.number: "3", open_.number: "3"}
    # One palace: no palace column.
    assert zh("Palace") not in rows[0]


def test_recruitments_first_page_queries_do_not_grow_with_rows(roles, wenshang, client_for):
    built = builder(wenshang, Stage.DRAFT)
    criteria = [
        services.CriterionInput("服务方案", Decimal(90)),
        services.CriterionInput("报价", Decimal(10), kind="price"),
    ]
    client = client_for(roles["auditor"])

    def add(n):
        for i in range(n):
            services.recruitment_create(
                actor=built.admin,
                project=built.project,
                title=f"第{i}期招募",
                deadline=timezone.now() + timedelta(days=20),
                criteria=criteria,
            )

    add(1)
    with CaptureQueriesContext(connection) as few:
        page(client, "recruitments")
    add(18)
    with CaptureQueriesContext(connection) as many:
        text = page(client, "recruitments")
    assert Recruitment.objects.count() == 20 and len(re.findall(r"<tr\b", body(text))) == 20
    assert len(many) == len(few)


# --- applications --------------------------------------------------------------------------------


@pytest.fixture
def applications_world(roles, wenshang, foshan):
    """A compiled recruitment (a hostile provider name among its applicants), a closed one not yet
    compiled, a sealed one still open, and a foshan one."""
    compiled = builder(wenshang, Stage.COMPILED, provider_names=(HOSTILE, *PROVIDER_NAMES[1:]))
    closed = builder(
        wenshang, Stage.CLOSED, applicants=2, provider_names=("汶上县书画艺术研究会", "汶上县电子商务协会")
    )
    sealed = builder(
        wenshang, Stage.APPLIED, applicants=2, provider_names=("济宁市青禾体育发展中心", "汶上县经典诵读研究会")
    )
    foshan_one = builder(
        foshan, Stage.CLOSED, applicants=2, provider_names=("佛山市南海区社工服务中心", "佛山市禅城区青年志愿者协会")
    )
    # Points stored against rows whose seal is still on (as if left over): the desk must not read them.
    Application.objects.filter(recruitment=closed.recruitment).update(total=Decimal("99.99"), rank=1)
    Application.objects.filter(recruitment=sealed.recruitment).update(total=Decimal("99.98"), rank=1)
    return {"compiled": compiled, "closed": closed, "sealed": sealed, "foshan": foshan_one}


def test_applications_show_points_only_once_compiled_and_never_sealed_ones(roles, applications_world, client_for):
    w = applications_world
    client = client_for(roles["auditor"])
    rows = body(page(client, "applications"))

    for application in w["compiled"].applications:
        assert application.provider.name in rows and f"{application.total:.2f}" in rows
    # Closed but not compiled: listed, points sealed. Still open: not listed at all (staff see a count).
    assert all(p.name in rows for p in w["closed"].providers)
    assert "99.99" not in rows and zh("Sealed") in rows
    assert not any(p.name in rows for p in w["sealed"].providers)
    assert "99.98" not in rows and w["sealed"].recruitment.number not in rows
    assert not any(p.name in rows for p in w["foshan"].providers)

    csv_rows = export(client, "applications")
    text = "\n".join(",".join(r) for r in csv_rows)
    assert "99.99" not in text and "99.98" not in text
    assert not any(p.name in text for p in w["sealed"].providers + w["foshan"].providers)
    totals = dict(zip(column(csv_rows, zh("Provider")), column(csv_rows, zh("Total points")), strict=True))
    assert totals["汶上县书画艺术研究会"] == zh("Sealed")
    assert totals["'" + HOSTILE] == f"{w['compiled'].applications[0].total:.2f}"
    assert HOSTILE not in totals  # neutralised, never a formula
    # Sorting by points does not order sealed rows by their hidden points either.
    ranked = column(export(client, "applications", sort="-total"), zh("Total points"))
    assert ranked[:3] == sorted(ranked[:3], reverse=True) and set(ranked[3:]) == {zh("Sealed")}

    response = client.get(url("applications"), {"_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row]
    assert "'" + HOSTILE in cells and HOSTILE not in cells
    assert not any("99.99" in c or "99.98" in c for c in cells) and zh("Sealed") in cells

    foshan_rows = export(client_for(roles["other_auditor"]), "applications")
    assert sorted(column(foshan_rows, zh("Provider"))) == sorted(p.name for p in w["foshan"].providers)


def test_applications_search_date_status_filters(roles, applications_world, client_for):
    w = applications_world
    client = client_for(roles["auditor"])
    compiled, closed = w["compiled"], w["closed"]

    providers = column(export(client, "applications", q=closed.recruitment.number), zh("Provider"))
    assert sorted(providers) == sorted(p.name for p in closed.providers)
    code = compiled.providers[1].credit_code
    assert column(export(client, "applications", q=code), zh("Credit code")) == [code]
    assert column(export(client, "applications", q="书画"), zh("Provider")) == ["汶上县书画艺术研究会"]

    withdrawn = closed.applications[0]
    Application.objects.filter(pk=withdrawn.pk).update(state=Application.State.WITHDRAWN)
    only = column(export(client, "applications", status=Application.State.WITHDRAWN), zh("Provider"))
    assert only == [withdrawn.provider.name]

    # Every built recruitment opened 30 days ago; move one application into last week.
    moved = compiled.applications[2]
    Application.objects.filter(pk=moved.pk).update(submitted_at=timezone.now() - timedelta(days=5))
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert column(export(client, "applications", date_from=since), zh("Provider")) == [moved.provider.name]
    before = column(export(client, "applications", date_to=since), zh("Provider"))
    assert moved.provider.name not in before and len(before) == 4


def test_applications_first_page_queries_do_not_grow_with_rows(roles, wenshang, client_for):
    client = client_for(roles["auditor"])
    builder(wenshang, Stage.COMPILED, applicants=2)
    with CaptureQueriesContext(connection) as few:
        page(client, "applications")
    builder(wenshang, Stage.CLOSED, applicants=18)
    with CaptureQueriesContext(connection) as many:
        text = page(client, "applications")
    assert len(re.findall(r"<tr\b", body(text))) == 20
    assert len(many) == len(few)


# --- panel scores --------------------------------------------------------------------------------


def test_scores_list_compiled_recruitments_only_with_their_corrections(roles, wenshang, foshan, client_for):
    compiled = builder(
        wenshang, Stage.COMPILED, applicants=2, evaluators=3, criteria=3, provider_names=(HOSTILE, "汶上县老年大学协会")
    )
    correction = compiled.correct_score(corrected_points=Decimal("30.00"))
    pending = services.score_correction_request(
        actor=compiled.admin,
        score=compiled.members[1].scores.order_by("pk").first(),
        corrected_points=Decimal("1.00"),
        reason=ScoreCorrection.Reason.ABNORMAL,
        justification="评分明显偏低",
    )
    scored = builder(
        wenshang, Stage.SCORED, applicants=2, provider_names=("汶上县法律援助志愿者协会", "济宁市和美社区服务中心")
    )
    builder(foshan, Stage.COMPILED, applicants=2, provider_names=("佛山市南海区社工服务中心", "佛山市顺德区书画院"))
    client = client_for(roles["auditor"])

    rows = export(client, "scores")
    # 3 evaluators × 2 applicants × 2 subjective criteria, of the compiled recruitment only.
    assert len(rows) - 1 == 12
    assert set(column(rows, zh("Recruitment", "desk column"))) == {compiled.recruitment.number}
    assert "'" + HOSTILE in column(rows, zh("Provider")) and HOSTILE not in column(rows, zh("Provider"))
    text = body(page(client, "scores"))
    assert scored.recruitment.number not in text and "佛山" not in text
    assert not any(p.name in text for p in scored.providers)

    corrections = [c for c in column(rows, zh("Correction")) if c]
    with translation.override(settings.LANGUAGE_CODE):
        assert sorted(corrections) == sorted(
            [
                f"{ScoreCorrection.State.APPROVED.label}: {correction.original_points:.2f} → 30.00 "
                f"({ScoreCorrection.Reason.ARITHMETIC.label}: {correction.justification})",
                f"{ScoreCorrection.State.REQUESTED.label}: {pending.original_points:.2f} → 1.00 "
                f"({ScoreCorrection.Reason.ABNORMAL.label}: 评分明显偏低)",
            ]
        )

    def count(**params):
        return len(export(client, "scores", **params)) - 1

    assert count(status="none") == 10
    assert count(status=ScoreCorrection.State.APPROVED) == 1
    assert count(status=ScoreCorrection.State.REQUESTED) == 1
    assert count(q="老年大学") == 6
    assert count(q=compiled.members[0].evaluator.full_name) == 4
    today = timezone.localdate()
    assert count(date_from=today.isoformat()) == 12
    assert count(date_to=(today - timedelta(days=1)).isoformat()) == 0

    points = [Decimal(p) for p in column(export(client, "scores", sort="points"), zh("Points"))]
    assert points == sorted(points) and points[0] < points[-1]
    points = [Decimal(p) for p in column(export(client, "scores", sort="-points"), zh("Points"))]
    assert points == sorted(points, reverse=True)

    foshan_rows = export(client_for(roles["other_auditor"]), "scores")
    assert compiled.recruitment.number not in column(foshan_rows, zh("Recruitment", "desk column"))
    assert len(foshan_rows) - 1 == 3 * 2 * 3  # evaluators × applicants × subjective criteria


def test_scores_of_a_reopened_evaluation_are_sealed_again(roles, wenshang, client_for):
    compiled = builder(wenshang, Stage.COMPILED, applicants=2)
    client = client_for(roles["auditor"])
    assert len(export(client, "scores")) > 1
    Recruitment.objects.filter(pk=compiled.recruitment.pk).update(compiled_at=None)
    assert len(export(client, "scores")) == 1
    totals = column(export(client, "applications"), zh("Total points"))
    assert totals == [zh("Sealed")] * 2


def test_scores_first_page_queries_do_not_grow_with_rows(roles, wenshang, client_for):
    client = client_for(roles["auditor"])
    first = builder(wenshang, Stage.COMPILED, applicants=2, criteria=2)  # 3 × 2 × 1 = 6 scores
    first.correct_score()
    with CaptureQueriesContext(connection) as few:
        page(client, "scores")
    second = builder(wenshang, Stage.COMPILED, applicants=2, criteria=4)  # 3 × 2 × 3 = 18 more
    second.correct_score()
    with CaptureQueriesContext(connection) as many:
        text = page(client, "scores")
    assert len(re.findall(r"<tr\b", body(text))) == 24
    assert len(many) == len(few)


# --- exclusions ----------------------------------------------------------------------------------


def exclusion(provider, palace, starts_on, ends_on, reason="终期评价为差，退出合作") -> Exclusion:
    return Exclusion.objects.create(
        provider=provider,
        palace=palace,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        created_by=staff(palace, Role.ADMIN),
    )


def test_exclusions_status_against_today_scoped_and_exported(roles, wenshang, foshan, client_for):
    today = timezone.localdate()
    active = exclusion(
        ProviderFactory(palace=wenshang, name=HOSTILE),
        wenshang,
        today - timedelta(days=10),
        today + timedelta(days=355),
    )
    expired = exclusion(
        ProviderFactory(palace=wenshang, name="汶上县巧手家政职业技能培训学校"),
        wenshang,
        today - timedelta(days=400),
        today,
        reason="合同提前终止，退出合作",
    )
    # Registered with foshan, excluded by wenshang: listed, but its page is foshan's to open.
    visiting = exclusion(
        ProviderFactory(palace=foshan, name="佛山市禅城区青年志愿者协会"),
        wenshang,
        today - timedelta(days=40),
        today + timedelta(days=300),
    )
    exclusion(
        ProviderFactory(palace=foshan, name="佛山市顺德区书画院"),
        foshan,
        today - timedelta(days=5),
        today + timedelta(days=360),
    )
    client = client_for(roles["auditor"])

    rows = export(client, "exclusions")
    statuses = dict(zip(column(rows, zh("Provider")), column(rows, zh("Status")), strict=True))
    assert statuses == {
        "'" + HOSTILE: zh("Active"),
        expired.provider.name: zh("Expired"),
        visiting.provider.name: zh("Active"),
    }
    causes = dict(zip(column(rows, zh("Provider")), column(rows, zh("Cause")), strict=True))
    assert causes[expired.provider.name] == "合同提前终止，退出合作"
    assert column(rows, zh("Until"))[0] == active.ends_on.isoformat()  # newest first

    text = body(page(client, "exclusions"))
    assert f'href="{reverse("procurement:provider_detail", args=[expired.provider_id])}"' in text
    assert f'href="{reverse("procurement:provider_detail", args=[visiting.provider_id])}"' not in text
    assert visiting.provider.name in text and "佛山市顺德区书画院" not in text
    response = client.get(reverse("procurement:provider_detail", args=[expired.provider_id]))
    assert response.status_code == 200

    def providers(**params):
        return sorted(column(export(client, "exclusions", **params), zh("Provider")))

    assert providers(status="expired") == [expired.provider.name]
    assert providers(status="active") == sorted(["'" + HOSTILE, visiting.provider.name])
    assert providers(q="提前终止") == [expired.provider.name]
    assert providers(q=visiting.provider.credit_code) == [visiting.provider.name]
    assert providers(date_from=(today - timedelta(days=20)).isoformat()) == ["'" + HOSTILE]
    assert providers(date_to=(today - timedelta(days=100)).isoformat()) == [expired.provider.name]
    ordered = column(export(client, "exclusions", sort="ends_on"), zh("Provider"))
    assert ordered == [expired.provider.name, visiting.provider.name, "'" + HOSTILE]

    foshan_rows = export(client_for(roles["other_auditor"]), "exclusions")
    assert column(foshan_rows, zh("Provider")) == ["佛山市顺德区书画院"]


def test_exclusions_first_page_queries_do_not_grow_with_rows(roles, wenshang, client_for):
    today = timezone.localdate()
    client = client_for(roles["auditor"])

    def add(n):
        for _ in range(n):
            exclusion(ProviderFactory(palace=wenshang), wenshang, today, today + timedelta(days=365))

    add(2)
    with CaptureQueriesContext(connection) as few:
        page(client, "exclusions")
    add(18)
    with CaptureQueriesContext(connection) as many:
        text = page(client, "exclusions")
    assert len(re.findall(r"<tr\b", body(text))) == 20
    assert len(many) == len(few)


def test_applications_export_says_what_the_page_shows_sealed_cells_included(roles, applications_world, client_for):
    # Compiled points, sealed points (the seal's word, never the stored numbers) and a neutralised name.
    client = client_for(roles["auditor"])
    assert assert_export_matches_page(client, url("applications")) == 5
    assert assert_export_matches_page(client, url("applications"), sort="-total") == 5
