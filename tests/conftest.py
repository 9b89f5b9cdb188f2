import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from core.models import Role

from .factories import PalaceFactory, ProviderFactory, provider_user, staff
from .test_i18n import compiled_catalogue  # noqa: F401  (compiles the .mo once per session for every test)

# Hypothesis's per-example deadline (200 ms) fails correct examples on a loaded CI worker; the
# properties assert arithmetic, not speed (timings belong in benchmarks).
hypothesis_settings.register_profile("hezuo", deadline=None)
hypothesis_settings.load_profile("hezuo")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def wenshang(db):
    return PalaceFactory(wenshang=True)


@pytest.fixture
def foshan(db):
    return PalaceFactory(foshan=True)


@pytest.fixture
def roles(db, wenshang, foshan):
    """One user per role the authorization matrix knows about."""
    provider_a = ProviderFactory(palace=wenshang, verified=True, name="汶上县心理学会")
    provider_b = ProviderFactory(palace=wenshang, verified=True, name="筑安技术培训中心")
    users = {
        "admin": staff(wenshang, Role.ADMIN, "t-ws-admin"),
        "evaluator": staff(wenshang, Role.EVALUATOR, "t-ws-eval"),
        "auditor": staff(wenshang, Role.AUDITOR, "t-ws-auditor"),
        "other_admin": staff(foshan, Role.ADMIN, "t-fs-admin"),
        "other_auditor": staff(foshan, Role.AUDITOR, "t-fs-auditor"),
        "provider_a": provider_user(provider_a, "t-prov-a"),
        "provider_b": provider_user(provider_b, "t-prov-b"),
    }
    users["provider_a"].provider = provider_a
    users["provider_b"].provider = provider_b
    return users


@pytest.fixture
def client_for():
    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client
    return make
