"""The public notice board: what a notice says, what it never says, and that it reads on a phone."""

import os
import re
from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.models import Role
from procurement import services
from procurement.models import Recruitment
from procurement.selectors_public import BEIJING, NOTICES_PER_PAGE, RECENT_AWARD_DAYS

from ..browser.conftest import live_server  # noqa: F401  (the live server with a usable MEDIA_URL)
from ..factories import PalaceFactory, staff
from ..recruitment_builders import RecruitmentBuilder, Stage
from .applying_support import apply, published_recruitment

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def english(client_for):
    def make(user=None):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def notice_url(recruitment) -> str:
    return reverse("notice_detail", args=[recruitment.pk])


def beijing_deadline(days: int = 20) -> datetime:
    day = (timezone.now() + timedelta(days=days)).astimezone(BEIJING).date()
    return datetime.combine(day, time(17, 0), tzinfo=BEIJING)


def test_a_notice_states_the_terms_and_the_deadline_in_beijing_time(roles, wenshang, english):
    deadline = beijing_deadline()
    recruitment = published_recruitment(roles["admin"], wenshang, deadline=deadline)
    page = english().get(notice_url(recruitment)).content.decode()
    assert f"{deadline:%Y-%m-%d} 17:00 (Beijing time)" in page
    for text in (
        "职工电商直播培训招募",
        "汶上县工人文化宫",
        "100,000.00",
        "12 months",
        "Sessions delivered ≥ 24 场",
        "服务方案",
        "方案完整、可行，贴近职工需求",
        "师资与团队",
        "报价",
        "具有职业技能培训资质。",
        "营业执照副本",
        "服务实施方案",
        "lowest valid price ÷ your price × 30",
        "Log in or register to apply",
    ):
        assert text in page, text
    weights = re.findall(r'<td class="pub-num">(\d+)</td>', page)
    assert weights == ["40", "30", "30", "100"]


def test_a_notice_never_shows_how_many_have_applied(roles, wenshang, english):
    recruitment = published_recruitment(roles["admin"], wenshang)
    before = CSRF.sub("", english().get(notice_url(recruitment)).content.decode())
    apply(roles["provider_a"], recruitment)
    apply(roles["provider_b"], recruitment)
    after = CSRF.sub("", english().get(notice_url(recruitment)).content.decode())
    assert after == before  # the public page is the same with none or two applications
    listing = english().get(reverse("notices")).content.decode()
    assert roles["provider_a"].provider.name not in listing and "80,000" not in listing


def test_who_sees_which_apply_action(roles, wenshang, english):
    recruitment = published_recruitment(roles["admin"], wenshang)
    apply_url = reverse("portal:apply", args=[recruitment.pk])
    assert apply_url in english(roles["provider_b"]).get(notice_url(recruitment)).content.decode()
    anonymous = english().get(notice_url(recruitment)).content.decode()
    assert "Log in or register to apply" in anonymous and f"?next={apply_url}" in anonymous
    assert apply_url not in english(roles["admin"]).get(notice_url(recruitment)).content.decode()
    apply(roles["provider_a"], recruitment)
    own = english(roles["provider_a"]).get(notice_url(recruitment)).content.decode()
    assert "Your organisation has applied (version 1" in own


def test_drafts_and_cancelled_recruitments_are_not_public(roles, wenshang, english):
    open_one = published_recruitment(roles["admin"], wenshang, title="公开的招募")
    draft = services.recruitment_create(
        actor=roles["admin"],
        project=open_one.project,
        title="草稿招募",
        deadline=open_one.deadline,
        criteria=[],
    )
    cancelled = published_recruitment(roles["admin"], wenshang, title="取消的招募")
    services.recruitment_cancel(actor=roles["admin"], recruitment=cancelled, reason="预算调整")
    client = english()
    assert client.get(notice_url(draft)).status_code == 404
    assert client.get(notice_url(cancelled)).status_code == 404
    assert client.get(reverse("portal:apply", args=[draft.pk])).status_code == 302  # to log in first
    assert english(roles["provider_a"]).get(reverse("portal:apply", args=[draft.pk])).status_code == 404
    listing = client.get(reverse("notices")).content.decode()
    assert "公开的招募" in listing and "草稿招募" not in listing and "取消的招募" not in listing


def test_a_publicised_result_shows_the_ranking_and_how_to_object(db, english):
    built = RecruitmentBuilder(applicants=3).advance_to(Stage.PUBLICITY)
    recruitment = built.recruitment
    ranking = sorted(built.applications, key=lambda a: a.rank)
    page = english().get(notice_url(recruitment)).content.decode()
    assert "Result in publicity" in page and "Proposed provider" in page
    positions = [page.index(a.provider.name, page.index("Ranking")) for a in ranking]
    assert positions == sorted(positions)
    for application in ranking:
        assert f"{application.total:.2f}" in page
    ends = recruitment.publicity_ends_at.astimezone(BEIJING)
    assert f"{ends:%Y-%m-%d %H:%M} (Beijing time)" in page
    objection_url = reverse("portal:objection_lodge", args=[recruitment.pk])
    assert "Applicants log in to lodge an objection." in page
    assert objection_url in english(built.provider_users[2]).get(notice_url(recruitment)).content.decode()
    results = english().get(reverse("notices") + "?kind=results").content.decode()
    assert recruitment.title in results and ranking[0].provider.name in results


def test_a_recent_award_stays_on_the_board_and_an_old_one_leaves_it(db, english):
    built = RecruitmentBuilder(applicants=2).advance_to(Stage.AWARDED)
    recruitment, winner = built.recruitment, built.recruitment.awarded_application.provider.name
    results = english().get(reverse("notices") + "?kind=results").content.decode()
    assert recruitment.title in results and "Awarded to" in results and winner in results
    page = english().get(notice_url(recruitment)).content.decode()
    assert "Awarded to" in page and "Lodge an objection" not in page
    Recruitment.objects.filter(pk=recruitment.pk).update(
        publicity_ends_at=timezone.now() - timedelta(days=RECENT_AWARD_DAYS + 1)
    )
    assert recruitment.title not in english().get(reverse("notices")).content.decode()
    assert english().get(notice_url(recruitment)).status_code == 200  # still public by its address


def test_the_notice_board_filters_by_palace_and_pages_newest_first(roles, wenshang, foshan, english):
    fs_admin = staff(foshan, Role.ADMIN)
    now = timezone.now()
    for i in range(NOTICES_PER_PAGE):
        published_recruitment(roles["admin"], wenshang, title=f"汶上招募{i:02d}", now=now - timedelta(hours=20 - i))
    published_recruitment(fs_admin, foshan, title="佛山粤剧兴趣班招募")
    client = english()
    first = client.get(reverse("notices")).content.decode()
    assert "佛山粤剧兴趣班招募" in first and "汶上招募09" in first and "汶上招募00" not in first
    assert first.index("佛山粤剧兴趣班招募") < first.index("汶上招募09")  # newest first
    second = client.get(reverse("notices") + "?page=2").content.decode()
    assert "汶上招募00" in second
    only_foshan = client.get(reverse("notices") + "?palace=foshan").content.decode()
    assert "佛山粤剧兴趣班招募" in only_foshan and "汶上招募" not in only_foshan
    assert "No result is in publicity" in client.get(reverse("notices") + "?kind=results").content.decode()
    assert PalaceFactory(code="foshan").name in first


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_notice_pages_fit_a_phone_without_sideways_scrolling(live_server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    built = RecruitmentBuilder(
        applicants=3,
        title="2025年度汶上县职工电子商务直播带货技能提升培训服务项目公开招募",
        provider_names=[
            "汶上县新时代职工公益服务发展促进会暨社会工作服务中心（民办非企业单位）",
            "济宁市阳光社会工作服务中心",
            "汶上县电子商务协会",
        ],
    ).advance_to(Stage.PUBLICITY)
    open_one = published_recruitment(
        built.admin,
        built.palace,
        title="职工心理健康讲座服务招募",
        documents=["民办非企业单位登记证书（或营业执照）副本复印件加盖公章", "服务方案"],
    )
    assert open_one.state == Recruitment.State.PUBLISHED
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            for path in (reverse("notices"), notice_url(built.recruitment), notice_url(open_one)):
                response = page.goto(live_server.url + path)
                assert response.status == 200, path
                assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        finally:
            browser.close()
