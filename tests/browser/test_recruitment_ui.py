"""The recruitment's key steps through the real UI, in headless Chromium (issue 3).

A provider applies with its required document, an evaluator declares and scores,
and the administrator proposes the award. Each recruitment is prepared by the
builder (tests/recruitment_builders.py) up to the stage the step starts from;
the step itself goes through the browser only. Elements are found by name and
CSS, never by English text: the UI is Chinese.

Screenshots of each step's result: artifacts/screenshots/recruitment-<step>.png.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from procurement import services
from procurement.models import Application, Criterion, Declaration, PanelMember, Recruitment
from tests.factories import PDF_BYTES
from tests.recruitment_builders import RecruitmentBuilder, Stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "hezuo-demo"  # what the factories give every user
REQUIRED_DOCUMENT = "营业执照或登记证书"


def log_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/app/workbench/$"))


def zh(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


def test_provider_applies_with_its_required_document(wenshang, open_page, screenshot, live_server, tmp_path):
    builder = RecruitmentBuilder(palace=wenshang, applicants=2).advance_to(Stage.DRAFT)
    recruitment = builder.recruitment
    # The builder's drafts ask for no document; this one asks for one, through the service.
    services.recruitment_update(
        actor=builder.admin,
        recruitment=recruitment,
        title=recruitment.title,
        deadline=recruitment.deadline,
        criteria=[
            services.CriterionInput(c.name, c.max_points, c.kind, c.description) for c in recruitment.criteria.all()
        ],
        required_documents=[REQUIRED_DOCUMENT],
        description=recruitment.description,
        budget_ceiling=recruitment.budget_ceiling,
        panel_size=recruitment.panel_size,
    )
    builder.advance_to(Stage.PUBLISHED)
    required = recruitment.required_documents.get()
    provider, user = builder.providers[0], builder.provider_users[0]
    licence = tmp_path / "licence.pdf"
    licence.write_bytes(PDF_BYTES)
    price = (recruitment.budget_ceiling * Decimal("0.85")).quantize(Decimal("0.01"))

    page = open_page()
    log_in(page, live_server, user.username)
    page.goto(live_server.url + reverse("portal:apply", args=[recruitment.pk]))
    page.fill("textarea[name=proposal]", "每月开展两期职工电子商务技能培训，配备持证讲师四名。")
    page.fill("input[name=price]", f"{price}")
    page.set_input_files(f"input[type=file][name=document_{required.pk}]", str(licence))
    page.click("form.vf-form button[type=submit]")
    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    page.wait_for_load_state("networkidle")
    screenshot(page, "recruitment-apply")

    application = Application.objects.get(recruitment=recruitment, provider=provider)
    assert application.version == 1
    assert application.state == Application.State.SUBMITTED
    assert application.price == price
    assert application.documents.filter(required=required, version=1).count() == 1
    assert page.url.endswith(reverse("portal:application_detail", args=[application.pk]))
    with translation.override("zh-hans"):
        expected = translation.gettext(
            "Version %(version)d of your application was received at %(time)s. "
            "It stays sealed; you may withdraw or resubmit it until the deadline."
        ) % {
            "version": 1,
            "time": timezone.localtime(application.submitted_at).strftime("%Y-%m-%d %H:%M"),
        }
    assert page.locator(".hz-message--success").inner_text().strip() == expected
    assert page.bad_responses == []


def test_evaluator_declares_and_scores_on_the_panel_page(wenshang, open_page, screenshot, live_server):
    builder = RecruitmentBuilder(palace=wenshang, applicants=3, evaluators=3, criteria=4)
    builder.advance_to(Stage.PANEL)
    member = builder.members[0]
    applications = builder.applications
    subjective = [c for c in builder.criteria if c.kind == Criterion.Kind.SUBJECTIVE]

    page = open_page()
    log_in(page, live_server, member.evaluator.username)
    page.goto(live_server.url + reverse("procurement:panel_task", args=[member.pk]))

    # Step 1: the declaration, one row per applicant.
    page.wait_for_selector("form input[name=step][value=declare]", state="attached")
    for application in applications:
        page.check(f"input[name=conflict_{application.pk}][value={Declaration.Conflict.NONE}]")
    page.click("form:has(input[name=step][value=declare]) button[type=submit]")
    page.wait_for_load_state("networkidle")
    member.refresh_from_db()
    assert member.state == PanelMember.State.DECLARED

    # Step 2: the score sheet, every subjective criterion for every applicant.
    page.wait_for_selector("form input[name=step][value=score]", state="attached")
    inputs = page.locator("input[name^=points_]")
    assert inputs.count() == len(applications) * len(subjective)
    for a, application in enumerate(applications):
        for c, criterion in enumerate(subjective):
            points = (criterion.max_points * (Decimal("0.9") - Decimal("0.1") * a) - c).quantize(Decimal("0.01"))
            assert 0 <= points <= criterion.max_points
            page.fill(f"input[name=points_{application.pk}_{criterion.pk}]", f"{points}")
    page.click("form:has(input[name=step][value=score]) button[type=submit]")
    page.wait_for_url(re.compile(r"/panel/\d+/$"))
    page.wait_for_load_state("networkidle")
    screenshot(page, "recruitment-score")

    member.refresh_from_db()
    assert member.state == PanelMember.State.SUBMITTED
    assert member.scores.count() == len(applications) * len(subjective)
    assert page.locator(".hz-message--success").count() == 1
    assert page.locator("input[name^=points_]").count() == 0  # the sheet is gone: nothing left to do
    assert page.locator(".hz-card__head .hz-chip").inner_text().strip() == zh(PanelMember.State.SUBMITTED.label)
    assert page.bad_responses == []


def test_administrator_proposes_the_award_to_the_top_ranked(wenshang, open_page, screenshot, live_server):
    builder = RecruitmentBuilder(palace=wenshang, applicants=3, evaluators=3)
    builder.advance_to(Stage.COMPILED)
    recruitment = builder.recruitment
    top = recruitment.applications.get(rank=1)

    page = open_page()
    log_in(page, live_server, builder.admin.username)
    page.goto(live_server.url + reverse("procurement:recruitment_detail", args=[recruitment.pk]))
    award = page.locator("#award form:has(input[name=application])")
    # The top-ranked applicant is proposed by default; choose it explicitly all the same.
    award.locator(f"input[name=application][value='{top.pk}']").check()
    award.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/recruitments/\d+/(#award)?$"))
    page.wait_for_load_state("networkidle")
    screenshot(page, "recruitment-award")

    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.PUBLICITY
    assert recruitment.awarded_application_id == top.pk
    state_chip = page.locator("#state .hz-chip").first
    assert state_chip.inner_text().strip() == zh(Recruitment.State.PUBLICITY.label)
    assert page.locator(".hz-message--success").count() == 1
    assert top.provider.name in page.locator("#award").inner_text()
    assert page.locator("#award input[name=application]").count() == 0  # no second proposal
    assert page.bad_responses == []
