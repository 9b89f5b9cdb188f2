import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, Notification, StoredFile, User
from core.transitions import moment
from procurement import services
from procurement.models import Provider

from ..factories import PDF_BYTES, ProviderFactory, next_credit_code, pdf_upload


def signup_data(wenshang, **overrides):
    data = {
        "palace": wenshang.pk,
        "name": "汶上县惠民培训学校",
        "credit_code": next_credit_code(),
        "legal_representative": "王五",
        "contact_name": "赵六",
        "contact_phone": "13800000000",
        "contact_email": "huimin@example.cn",
        "address": "汶上县",
        "categories": ["training"],
        "licence": pdf_upload(),
        "username": "huimin",
        "full_name": "赵六",
        "password1": "a-Strong-pass-2026",
        "password2": "a-Strong-pass-2026",
    }
    data.update(overrides)
    return data


def test_provider_signs_up_and_awaits_verification(roles, wenshang, client):
    response = client.post(reverse("provider_signup"), signup_data(wenshang))
    assert response.status_code == 302
    provider = Provider.objects.get(name="汶上县惠民培训学校")
    assert provider.status == Provider.Status.PENDING
    assert provider.documents.get().file.content_type == "application/pdf"
    assert AuditEvent.objects.filter(action="provider.registered", object_id=str(provider.pk)).exists()
    assert Notification.objects.filter(recipient=roles["admin"], subject__contains="汶上县惠民培训学校").exists()
    # the new user is logged in and lands on their organisation page
    assert client.get(reverse("portal:organisation")).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message_part"),
    [
        ({"credit_code": "12345"}, "credit_code", "18"),
        ({"credit_code": "91440300192203821I"}, "credit_code", "I"),
        ({"credit_code": "914403001922038217"}, "credit_code", "6"),
        ({"name": "x" * 10_000}, "name", "100"),
        ({"name": ""}, "name", ""),
        ({"categories": []}, "categories", ""),
        ({"password2": "different"}, "password2", ""),
        ({"username": "../../etc"}, "username", ""),
    ],
)
def test_signup_refuses_bad_input_and_writes_nothing(wenshang, client, overrides, field, message_part):
    response = client.post(reverse("provider_signup"), signup_data(wenshang, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message_part in " ".join(errors[field])
    assert not Provider.objects.exists()
    assert not User.objects.filter(username="huimin").exists()


def test_signup_with_a_disguised_licence_is_refused_and_nothing_is_written(wenshang, client):
    fake = SimpleUploadedFile("licence.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    response = client.post(reverse("provider_signup"), signup_data(wenshang, licence=fake))
    assert response.status_code == 200
    assert "licence.pdf" in " ".join(response.context["form"].non_field_errors())
    assert not Provider.objects.exists()
    assert not User.objects.filter(username="huimin").exists()
    assert not StoredFile.objects.exists()
    assert not AuditEvent.objects.filter(action="provider.registered").exists()


def test_signup_posted_twice_registers_once(wenshang, client):
    data = signup_data(wenshang)
    client.post(reverse("provider_signup"), data)
    client.logout()
    again = dict(data, licence=SimpleUploadedFile("licence.pdf", PDF_BYTES), username="huimin2")
    response = client.post(reverse("provider_signup"), again)
    assert response.status_code == 200
    with translation.override("zh-hans"):
        assert response.context["form"].errors["credit_code"] == [str(services.ERR_CODE_TAKEN)]
    assert Provider.objects.count() == 1


def test_html_in_a_provider_name_is_shown_as_text(roles, wenshang, client_for):
    provider = ProviderFactory(palace=wenshang, name="<script>alert('x')</script>学校")
    body = client_for(roles["admin"]).get(reverse("procurement:provider_detail", args=[provider.pk])).content.decode()
    assert "<script>alert(" not in body
    assert "&lt;script&gt;" in body


def test_rejection_needs_a_reason_the_provider_reads(roles, wenshang):
    provider = ProviderFactory(palace=wenshang)
    with pytest.raises(DomainError) as exc:
        services.provider_reject(actor=roles["admin"], provider=provider, reason="  ")
    assert exc.value.message == services.ERR_REASON_REQUIRED
    services.provider_reject(actor=roles["admin"], provider=provider, reason="营业执照已过期")
    provider.refresh_from_db()
    assert provider.status == Provider.Status.REJECTED
    assert provider.status_reason == "营业执照已过期"


def test_only_an_administrator_of_the_registration_palace_may_verify(roles, wenshang):
    provider = ProviderFactory(palace=wenshang)
    for role in ("other_admin", "auditor", "evaluator", "provider_a"):
        with pytest.raises(NotPermitted):
            services.provider_verify(actor=roles[role], provider=provider)
    provider.refresh_from_db()
    assert provider.status == Provider.Status.PENDING


def test_a_registration_is_reviewed_once(roles, wenshang):
    provider = ProviderFactory(palace=wenshang)
    services.provider_verify(actor=roles["admin"], provider=provider)
    with pytest.raises(DomainError) as exc:
        services.provider_reject(actor=roles["admin"], provider=provider, reason="again")
    provider.refresh_from_db()
    assert str(exc.value.message) == services.ERR_NOT_PENDING % {
        "who": str(roles["admin"]),
        "when": moment(provider.reviewed_at),
        "state": provider.get_status_display(),
    }
    assert provider.status == Provider.Status.VERIFIED


def test_rejected_provider_resubmits_after_fixing_its_profile(roles, wenshang, client_for):
    provider = roles["provider_a"].provider
    Provider.objects.filter(pk=provider.pk).update(status=Provider.Status.REJECTED, status_reason="缺少资质")
    client = client_for(roles["provider_a"])
    response = client.post(
        reverse("portal:organisation_edit"),
        {
            "legal_representative": "新代表",
            "contact_name": "新联系人",
            "contact_phone": "1",
            "contact_email": "",
            "address": "",
            "categories": ["health"],
        },
    )
    assert response.status_code == 302
    client.post(reverse("portal:organisation_resubmit"))
    provider.refresh_from_db()
    assert provider.status == Provider.Status.PENDING
    assert provider.legal_representative == "新代表"
    assert list(provider.categories.values_list("category", flat=True)) == ["health"]
    actions = list(AuditEvent.objects.filter(object_id=str(provider.pk)).values_list("action", flat=True))
    assert actions[-2:] == ["provider.profile_updated", "provider.resubmitted"]


def test_admin_verifies_through_the_page(roles, wenshang, client_for):
    provider = ProviderFactory(palace=wenshang)
    client = client_for(roles["admin"])
    response = client.post(reverse("procurement:provider_detail", args=[provider.pk]), {"decision": "reject"})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    provider.refresh_from_db()
    assert provider.status == Provider.Status.PENDING
    response = client.post(
        reverse("procurement:provider_detail", args=[provider.pk]), {"decision": "verify", "reason": ""}
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.status == Provider.Status.VERIFIED
    assert provider.reviewed_by == roles["admin"]
