from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from hypothesis import settings as hypothesis_settings

from core.models import Role

from .factories import PalaceFactory, ProviderFactory, provider_user, staff
from .test_i18n import compiled_catalogue  # noqa: F401  (compiles the .mo once per session for every test)

# Hypothesis's per-example deadline (200 ms) fails correct examples on a loaded CI worker; the
# properties assert arithmetic, not speed (timings belong in benchmarks).
hypothesis_settings.register_profile("hezuo", deadline=None)
hypothesis_settings.load_profile("hezuo")

# The tests scripts/test.sh runs on SQLite too (marker ``sqlite``; `pytest -m sqlite`). PostgreSQL, the
# production database, runs the whole suite; SQLite, the embedded default that `make demo` serves,
# runs what `make demo` shows and what differs between the two databases. A path takes a whole file
# or folder, ``path::test`` one test (all its parameters). A name that no longer exists is an error,
# so a moved file cannot silently drop out of the SQLite stage: move its line with it.
SQLITE_TESTS = (
    # What `make demo` serves: the demo's seed, every URL for every role, the browser.
    "tests/test_seed_demo.py",
    "tests/test_authorization_matrix.py",
    "tests/test_double_post.py",  # every POST of the matrix, twice: a replay answers, never a 500
    "tests/browser/",  # (and anything marked ``browser``)
    # Code with a branch per database: the audit chain's SQL (core/audit.py), the scheduler's
    # advisory lock and skip-locked claims that are plain reads on SQLite (core/scheduler.py),
    # and the month's row locked and written under the audit lock by every input, the hottest
    # being a rating (evaluations/realtime/services/). Their transactional tests (committed audit
    # chains, a failed write rolled back) run on SQLite's single writer too.
    "tests/core/test_audit.py",
    "tests/core/test_tick.py",
    "tests/procurement/test_jobs.py",
    "tests/evaluations/test_period_scoring.py",
    "tests/evaluations/test_ratings.py",
    "tests/evaluations/test_ratings_survive_resaves.py",
    # Arithmetic and dates in the database: sums, averages and decimals, TruncMonth/TruncYear,
    # ``__date`` under the palace's time zone, query counts.
    "tests/contracts/test_statistics.py",
    "tests/contracts/test_selectors.py",
    "tests/contracts/test_query_counts.py",
    "tests/evaluations/test_dashboards.py",
    "tests/evaluations/test_provider_history.py",
    # The desks: date ranges on datetimes, icontains search over Chinese and Latin text, sorting.
    "tests/core/test_desk_audit.py",
    "tests/core/test_desk_documents.py",
    "tests/contracts/test_desk_contracts.py",
    "tests/evaluations/test_desk_evaluations.py",
    "tests/procurement/test_desk_procurement.py",
    "tests/test_desk_scoping.py",
    # Search and case: LIKE is case-insensitive on SQLite only for ASCII, ILIKE on PostgreSQL.
    "tests/contracts/test_staff_pages.py::test_contract_table_filters_by_state_provider_and_search",
    "tests/core/test_documents.py::test_find_document_by_hash_or_code_in_any_case",
)


def _sqlite_selection(rootdir: Path) -> tuple[set[str], tuple[str, ...]]:
    tests, prefixes = set(), []
    for entry in SQLITE_TESTS:
        path, _, name = entry.partition("::")
        target = rootdir / path
        if not target.exists() or (name and f"def {name}(" not in target.read_text(encoding="utf-8")):
            raise pytest.UsageError(f"tests/conftest.py SQLITE_TESTS names {entry}, which does not exist")
        if name:
            tests.add(entry)
        else:
            prefixes.append(path)
    return tests, tuple(prefixes)


def pytest_collection_modifyitems(config, items):
    tests, prefixes = _sqlite_selection(Path(str(config.rootpath)))
    on_postgres = connection.vendor == "postgresql"
    for item in items:
        base = item.nodeid.split("[", 1)[0]
        if base in tests or item.nodeid.startswith(prefixes) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.sqlite)
        if not on_postgres and item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL; this run is on {connection.vendor}"))


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
    return make_roles(wenshang, foshan)


def make_roles(wenshang, foshan) -> dict:
    """The ``roles`` fixture's users, for fixtures of a wider scope (the authorization matrix's world)."""
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
