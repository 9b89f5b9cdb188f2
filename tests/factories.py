"""factory_boy factories with traits. No shared fixture database: each test builds what it needs."""

from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Membership, Palace, Role, User
from procurement.credit_code import make_credit_code
from procurement.models import (
    KpiMetric,
    KpiTarget,
    Provider,
    ProviderCategory,
    ProviderUser,
    ServiceCategory,
    ServiceProject,
)

# Smallest valid files of each accepted type, for upload tests.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
JPEG_BYTES = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def pdf_upload(name: str = "licence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


class PalaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Palace
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"palace{n}")
    name = factory.Sequence(lambda n: f"第{n}工人文化宫")
    level = Palace.Level.COUNTY
    federation = "县总工会"

    class Params:
        wenshang = factory.Trait(code="wenshang", name="汶上县工人文化宫", federation="汶上县总工会")
        foshan = factory.Trait(
            code="foshan", name="佛山市工人文化宫", level=Palace.Level.CITY, federation="佛山市总工会"
        )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.cn")
    password = factory.PostGenerationMethodCall("set_password", "hezuo-demo")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    palace = factory.SubFactory(PalaceFactory)
    role = Role.ADMIN


def staff(palace: Palace, role: str, username: str | None = None) -> User:
    user = UserFactory(**({"username": username} if username else {}))
    Membership.objects.get_or_create(user=user, palace=palace, role=role)
    return user


_code_counter = iter(range(10**6, 10**7))


def next_credit_code() -> str:
    # 51 (social organisation) + division 370830 + a 9-character serial = 17, then the check character.
    return make_credit_code(f"51370830{next(_code_counter):09d}")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试培训学校{n}")
    credit_code = factory.LazyFunction(next_credit_code)
    legal_representative = "张三"
    contact_name = "李四"
    contact_phone = "0537-1234567"
    contact_email = factory.Sequence(lambda n: f"provider{n}@example.cn")
    palace = factory.SubFactory(PalaceFactory)

    class Params:
        verified = factory.Trait(status=Provider.Status.VERIFIED)
        rejected = factory.Trait(status=Provider.Status.REJECTED, status_reason="材料不全")

    @factory.post_generation
    def categories(obj, create, extracted, **kwargs):
        if create:
            for cat in extracted or [ServiceCategory.TRAINING]:
                ProviderCategory.objects.get_or_create(provider=obj, category=cat)


def provider_user(provider: Provider, username: str | None = None) -> User:
    user = UserFactory(**({"username": username} if username else {}))
    ProviderUser.objects.get_or_create(user=user, defaults={"provider": provider})
    return user


class ServiceProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceProject
        skip_postgeneration_save = True

    palace = factory.SubFactory(PalaceFactory)
    name = factory.Sequence(lambda n: f"公益培训项目{n}")
    category = ServiceCategory.TRAINING
    budget = Decimal("120000.00")
    term_months = 12
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def kpis(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            KpiTarget.objects.create(project=obj, metric=KpiMetric.SESSIONS, target=24, unit="场")
            KpiTarget.objects.create(project=obj, metric=KpiMetric.PARTICIPANT_VISITS, target=600, unit="人次")


def evidence_for(order) -> dict:
    """A photo for every finding of a rectification order: the provider's answer needs evidence for each."""
    return {f.pk: [png_upload(f"整改照片{f.position}.png")] for f in order.findings.all()}
