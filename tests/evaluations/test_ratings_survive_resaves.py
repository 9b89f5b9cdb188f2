"""A report's activities keep their rows across re-saves and re-imports, so workers' ratings survive."""

from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contracts import services as contract_services
from contracts.models import Activity
from core.errors import DomainError
from evaluations import services
from evaluations.models import Rating
from tests.contract_builders import active_contract

pytestmark = pytest.mark.django_db

LESSON = contract_services.ActivityInput(date(2026, 11, 3), "电工培训", "training", "一楼教室", 30)
READING = contract_services.ActivityInput(date(2026, 11, 5), "读书会", "culture", "职工书屋", 12)


@pytest.fixture
def rated(roles, wenshang):
    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )
    report = contract.reports.get(period_start=date(2026, 11, 1))
    contract_services.report_save(
        actor=roles["provider_a"], report=report, narrative="十一月", activities=[LESSON, READING]
    )
    lesson = report.activities.get(title="电工培训")
    link = services.rating_link_for(lesson)
    services.rating_submit(
        token=link.token,
        stars=5,
        comment="讲得好",
        device_id="phone-1",
        now=timezone.make_aware(datetime(2026, 11, 4, 9)),
    )
    return report, lesson


def test_re_saving_and_re_importing_keep_the_rated_activity(roles, rated):
    report, lesson = rated
    fixed = contract_services.ActivityInput(LESSON.date, LESSON.title, LESSON.category, LESSON.place, 32)
    contract_services.report_save(
        actor=roles["provider_a"], report=report, narrative="十一月（更正人数）", activities=[fixed, READING]
    )
    lesson.refresh_from_db()
    assert lesson.participants == 32 and Rating.objects.filter(activity=lesson).count() == 1
    csv = "签到日期,活动名称,活动类别,活动室,签到人数\n2026-11-03,电工培训,培训,一楼教室,33\n2026-11-09,篮球赛,体育,篮球场,40\n"
    contract_services.report_import_activities(
        actor=roles["provider_a"], report=report, upload=SimpleUploadedFile("checkin.csv", csv.encode())
    )
    lesson.refresh_from_db()
    assert lesson.participants == 33
    assert sorted(report.activities.values_list("title", flat=True)) == ["电工培训", "篮球赛"]
    assert Rating.objects.filter(activity=lesson).count() == 1


def test_removing_a_rated_activity_is_refused_and_nothing_changes(roles, rated):
    report, lesson = rated
    with pytest.raises(DomainError) as refused:
        contract_services.report_save(
            actor=roles["provider_a"], report=report, narrative="只剩读书会", activities=[READING]
        )
    assert "电工培训" in str(refused.value)
    assert Activity.objects.filter(pk=lesson.pk).exists()
    report.refresh_from_db()
    assert report.narrative == "十一月"
