"""The provider's side of a recruitment, through the portal pages: apply, withdraw, resubmit, object.

Every refusal is the service's, with its message on the page, and leaves nothing
behind: no application, no stored file, no audit event.
"""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from core.models import AuditEvent, Notification, StoredFile
from procurement.models import Application, Exclusion, Objection, Recruitment
from procurement.services import applying, award

from ..factories import PDF_BYTES, ProviderFactory, provider_user
from ..recruitment_builders import RecruitmentBuilder, Stage
from .applying_support import pdf, published_recruitment


@pytest.fixture
def english(client_for):
    """A client for ``user`` that reads the pages in English, the msgids' language."""

    def make(user=None):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def en(message, **params) -> str:
    """A service's message as an English page shows it."""
    with translation.override("en"):
        text = translation.gettext(message) if isinstance(message, str) else str(message)
        return text % params if params else text


@pytest.fixture
def recruitment(roles, wenshang):
    return published_recruitment(roles["admin"], wenshang)


@pytest.fixture
def closing_soon(roles, wenshang):
    """Published two weeks ago, closing in two hours (near enough that logins stay valid across it)."""
    now = timezone.now()
    return published_recruitment(
        roles["admin"], wenshang, deadline=now + timedelta(hours=2), now=now - timedelta(days=14)
    )


def application_form(
    recruitment,
    *,
    price="80000.00",
    proposal="每月开展四场直播带货实操培训。",
    skip=(),
    replace=None,
    extra=(),
):
    """POST data: every required document (unless skipped, or only ``replace`` ones), plus extras."""
    data = {"proposal": proposal, "price": price}
    for doc in recruitment.required_documents.all():
        if doc.name in skip or (replace is not None and doc.name not in replace):
            continue
        data[f"document_{doc.pk}"] = pdf(f"{doc.name}.pdf", salt=f"{doc.name}{replace}")
    if extra:
        data["extra"] = list(extra)
    return data


def apply_url(recruitment):
    return reverse("portal:apply", args=[recruitment.pk])


def form_errors(response, field=None) -> str:
    errors = response.context["form"].errors
    with translation.override("en"):
        return " ".join(str(e) for name, messages in errors.items() if field in (None, name) for e in messages)


def assert_nothing_written():
    assert not Application.objects.exists()
    assert not StoredFile.objects.filter(purpose="application_document").exists()
    assert not AuditEvent.objects.filter(action__startswith="application.").exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_verified_provider_applies_with_the_required_documents(roles, recruitment, english):
    client = english(roles["provider_a"])
    page = client.get(apply_url(recruitment)).content.decode()
    for doc in recruitment.required_documents.all():
        assert doc.name in page
    response = client.post(apply_url(recruitment), application_form(recruitment, extra=[pdf("师资证书.pdf")]))
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:application_detail", args=[application.pk])
    assert (application.provider, application.version, application.state) == (
        roles["provider_a"].provider,
        1,
        Application.State.SUBMITTED,
    )
    assert sorted(d.file.original_name for d in application.documents.all()) == [
        "师资证书.pdf",
        "服务实施方案.pdf",
        "营业执照副本.pdf",
    ]
    assert AuditEvent.objects.filter(action="application.submitted", object_id=str(application.pk)).exists()
    assert Notification.objects.filter(recipient=roles["provider_a"], subject__contains=recruitment.number).exists()
    detail = client.get(response["Location"]).content.decode()
    assert "version 1" in detail and "营业执照副本.pdf" in detail and "80,000.00" in detail


def test_withdraw_and_resubmit_before_the_deadline(roles, recruitment, english):
    client = english(roles["provider_a"])
    client.post(apply_url(recruitment), application_form(recruitment))
    application = Application.objects.get()
    first = {d.required.name: d.file_id for d in application.documents.select_related("required")}

    response = client.post(reverse("portal:application_withdraw", args=[application.pk]))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == Application.State.WITHDRAWN

    page = client.get(apply_url(recruitment)).content.decode()
    assert "version 1" in page and "营业执照副本.pdf" in page  # what is on file, and that it can be replaced
    response = client.post(
        apply_url(recruitment),
        application_form(recruitment, price="75000", replace=["服务实施方案"]),
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.version, application.state, application.price) == (
        2,
        Application.State.SUBMITTED,
        75000,
    )
    current = {d.required.name: d.file_id for d in application.documents.filter(version=2).select_related("required")}
    assert current["营业执照副本"] == first["营业执照副本"]  # unchanged, carried over
    assert current["服务实施方案"] != first["服务实施方案"]  # replaced
    assert Application.objects.count() == 1
    assert AuditEvent.objects.filter(action="application.resubmitted").count() == 1


def test_a_second_application_from_the_same_provider_is_a_resubmission(roles, recruitment, english):
    client = english(roles["provider_a"])
    client.post(apply_url(recruitment), application_form(recruitment))
    client.post(apply_url(recruitment), application_form(recruitment, price="70000"))
    application = Application.objects.get()
    assert (application.version, application.price) == (2, 70000)
    assert application.documents.filter(version=2).count() == 2


def test_a_late_application_is_refused_and_nothing_is_written(roles, closing_soon, english):
    recruitment = closing_soon
    client = english(roles["provider_a"])
    with time_machine.travel(recruitment.deadline + timedelta(seconds=1), tick=False):
        response = client.post(apply_url(recruitment), application_form(recruitment))
    assert response.status_code == 200
    deadline = timezone.localtime(recruitment.deadline).strftime("%Y-%m-%d %H:%M")
    assert en(applying.ERR_DEADLINE_PASSED, deadline=deadline) in form_errors(response)
    assert_nothing_written()


def test_a_form_opened_before_the_deadline_and_posted_after_it_is_refused(roles, closing_soon, english):
    recruitment = closing_soon
    client = english(roles["provider_a"])
    with time_machine.travel(recruitment.deadline - timedelta(minutes=5), tick=False):
        opened = client.get(apply_url(recruitment))
    assert 'name="price"' in opened.content.decode()
    with time_machine.travel(recruitment.deadline + timedelta(minutes=1), tick=False):
        response = client.post(apply_url(recruitment), application_form(recruitment))
    message = en(
        applying.ERR_DEADLINE_PASSED,
        deadline=timezone.localtime(recruitment.deadline).strftime("%Y-%m-%d %H:%M"),
    )
    assert message in response.content.decode()
    assert_nothing_written()


def test_an_unverified_provider_is_refused_with_the_message(roles, wenshang, recruitment, english):
    user = provider_user(ProviderFactory(palace=wenshang, name="待核验培训学校"))
    client = english(user)
    assert en(applying.ERR_NOT_VERIFIED) in client.get(apply_url(recruitment)).content.decode()
    response = client.post(apply_url(recruitment), application_form(recruitment))
    assert en(applying.ERR_NOT_VERIFIED) in form_errors(response)
    assert_nothing_written()


def test_an_excluded_provider_is_refused_naming_the_end_of_the_exclusion(roles, wenshang, recruitment, english):
    today = timezone.localdate()
    exclusion = Exclusion.objects.create(
        provider=roles["provider_a"].provider,
        palace=wenshang,
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=335),
        reason="终期评价为差",
        created_by=roles["admin"],
    )
    client = english(roles["provider_a"])
    response = client.post(apply_url(recruitment), application_form(recruitment))
    errors = form_errors(response)
    assert exclusion.ends_on.isoformat() in errors and "终期评价为差" in errors
    assert_nothing_written()
    # The list of recruitments says so in advance, and offers no Apply button for that palace.
    listing = client.get(reverse("portal:recruitments")).content.decode()
    assert exclusion.ends_on.isoformat() in listing
    assert apply_url(recruitment) not in listing


def test_a_missing_required_document_is_refused_naming_it(roles, recruitment, english):
    response = english(roles["provider_a"]).post(
        apply_url(recruitment), application_form(recruitment, skip=["服务实施方案"])
    )
    assert en(applying.ERR_MISSING_DOCUMENT, name="服务实施方案") in form_errors(response)
    assert_nothing_written()


@pytest.mark.parametrize(
    ("upload", "message_part"),
    [
        (
            SimpleUploadedFile("方案.pdf", PDF_BYTES + b"0" * (10 * 1024 * 1024), content_type="application/pdf"),
            "10.0\xa0MB",
        ),
        (
            SimpleUploadedFile(
                "方案.pdf",
                b"<html><script>alert(1)</script></html>",
                content_type="application/pdf",
            ),
            "PDF",
        ),
    ],
    ids=["oversize", "disguised"],
)
def test_an_oversize_or_disguised_document_is_refused_and_nothing_is_written(
    roles, recruitment, english, upload, message_part
):
    data = application_form(recruitment, skip=["服务实施方案"])
    data[f"document_{recruitment.required_documents.get(name='服务实施方案').pk}"] = upload
    response = english(roles["provider_a"]).post(apply_url(recruitment), data)
    errors = form_errors(response)
    assert "方案.pdf" in errors and message_part in errors
    assert_nothing_written()


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("-5", lambda: en(applying.ERR_PRICE)),
        ("0", lambda: en(applying.ERR_PRICE)),
        ("八万", lambda: "Enter a number."),
    ],
)
def test_a_price_below_zero_or_not_a_number_is_refused(roles, recruitment, english, price, expected):
    response = english(roles["provider_a"]).post(apply_url(recruitment), application_form(recruitment, price=price))
    assert response.status_code == 200
    assert expected() in form_errors(response, "price")
    assert_nothing_written()


def test_another_provider_gets_403_on_an_application_and_nothing_changes(roles, recruitment, english):
    english(roles["provider_a"]).post(apply_url(recruitment), application_form(recruitment))
    application = Application.objects.get()
    document = application.documents.first()
    intruder = english(roles["provider_b"])
    assert intruder.post(reverse("portal:application_withdraw", args=[application.pk])).status_code == 403
    assert intruder.get(reverse("portal:application_detail", args=[application.pk])).status_code == 403
    assert intruder.post(reverse("portal:application_detail", args=[application.pk])).status_code == 403
    assert intruder.get(reverse("file_download", args=[document.file_id])).status_code == 403
    application.refresh_from_db()
    assert (application.state, application.version) == (Application.State.SUBMITTED, 1)
    assert not AuditEvent.objects.filter(action="application.withdrawn").exists()
    # Nor does anything of it show on B's own pages or on the public notice.
    for url in (
        reverse("portal:recruitments"),
        reverse("portal:applications"),
        apply_url(recruitment),
        reverse("notice_detail", args=[recruitment.pk]),
    ):
        body = intruder.get(url).content.decode()
        assert roles["provider_a"].provider.name not in body and "每月开展四场" not in body


def test_the_applicant_sees_validity_once_the_recruitment_closes(db, english):
    built = RecruitmentBuilder(applicants=2, invalid=1).advance_to(Stage.CLOSED)
    valid = built.applications[0]
    withdrawn = Application.objects.get(provider=built.providers[2])
    page = english(built.provider_users[0]).get(reverse("portal:application_detail", args=[valid.pk]))
    assert "Valid" in page.content.decode() and "Resubmit" not in page.content.decode()
    page = english(built.provider_users[2]).get(reverse("portal:application_detail", args=[withdrawn.pk]))
    assert "Invalid" in page.content.decode() and withdrawn.invalid_reason in page.content.decode()


# --- objections ---------------------------------------------------------------------------------


@pytest.fixture
def publicised(db):
    return RecruitmentBuilder(applicants=2).advance_to(Stage.PUBLICITY)


def objection_url(recruitment):
    return reverse("portal:objection_lodge", args=[recruitment.pk])


def test_an_applicant_lodges_an_objection_during_publicity(publicised, english):
    recruitment, applicant = publicised.recruitment, publicised.provider_users[1]
    client = english(applicant)
    assert 'name="grounds"' in client.get(objection_url(recruitment)).content.decode()
    response = client.post(
        objection_url(recruitment),
        {"grounds": "第一名的师资证书已过期。", "attachments": [pdf("证书查询截图.pdf")]},
    )
    objection = Objection.objects.get()
    assert response.status_code == 302
    assert (objection.application.provider, objection.state) == (
        publicised.providers[1],
        Objection.State.OPEN,
    )
    assert Notification.objects.filter(recipient=publicised.admin, subject__contains=recruitment.number).exists()
    attachment = objection.attachments.get()
    assert client.get(reverse("file_download", args=[attachment.pk])).status_code == 200
    assert english(publicised.admin).get(reverse("file_download", args=[attachment.pk])).status_code == 200
    assert english(publicised.provider_users[0]).get(reverse("file_download", args=[attachment.pk])).status_code == 403
    detail = client.get(reverse("portal:application_detail", args=[objection.application_id])).content.decode()
    assert "第一名的师资证书已过期。" in detail


def test_an_objection_is_refused_for_a_provider_that_did_not_apply(publicised, english):
    outsider = provider_user(ProviderFactory(palace=publicised.palace, verified=True, name="未参与机构"))
    client = english(outsider)
    assert en(award.ERR_NOT_APPLICANT) in client.get(objection_url(publicised.recruitment)).content.decode()
    response = client.post(objection_url(publicised.recruitment), {"grounds": "结果不公"})
    assert en(award.ERR_NOT_APPLICANT) in form_errors(response)
    assert not Objection.objects.exists()


def test_an_objection_is_refused_outside_publicity(roles, recruitment, publicised, english):
    english(roles["provider_a"]).post(apply_url(recruitment), application_form(recruitment))
    response = english(roles["provider_a"]).post(objection_url(recruitment), {"grounds": "尚未公示"})
    assert en(award.ERR_NOT_IN_PUBLICITY) in form_errors(response)
    # …and once the publicity period is over.
    ended = publicised.recruitment.publicity_ends_at + timedelta(minutes=1)
    with time_machine.travel(ended, tick=False):
        response = english(publicised.provider_users[1]).post(
            objection_url(publicised.recruitment), {"grounds": "逾期质疑"}
        )
    assert en(award.ERR_NOT_IN_PUBLICITY) in form_errors(response)
    assert not Objection.objects.exists()
    assert Recruitment.objects.get(pk=publicised.recruitment.pk).state == Recruitment.State.PUBLICITY
