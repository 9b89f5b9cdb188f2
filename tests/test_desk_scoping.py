"""Every desk table shows a palace's auditor all of that palace's rows and another palace's auditor none.

The tables are the ones registered on the desk (core.registry), so a table added later is
checked here too. The rows come from the authorization matrix's world, which builds the
lifecycle at Wenshang through the services: recruitments, applications and scores, contracts
and reports, inspections and orders, final evaluations, an exit, documents and audit events.
"""

from django.test import RequestFactory

from core.registry import desk_tables
from tests.authz import build_everything

from .test_authorization_matrix import _matrix_world, world  # noqa: F401  (fixtures)

EXPECTED = {
    "recruitments",
    "applications",
    "scores",
    "contracts",
    "reports",
    "inspections",
    "orders",
    "finals",
    "exclusions",
    "documents",
    "audit",
}


def _rows(view_class, user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    view = view_class()
    view.setup(request)
    return view.get_queryset()


def test_the_desk_has_every_table_the_auditors_asked_for():
    assert EXPECTED <= {v.slug for v in desk_tables()}


def test_a_palace_auditor_reads_all_its_rows_and_another_palace_none(world):  # noqa: F811
    build_everything(world)
    for view_class in desk_tables():
        slug, field = view_class.slug, view_class.palace_field
        ours = _rows(view_class, world.users["superuser"]).filter(**{field: world.wenshang})
        assert ours.exists(), f"the world has no {slug} at Wenshang: the test would prove nothing"
        mine = _rows(view_class, world.users["auditor"])
        assert set(mine.values_list("pk", flat=True)) == set(ours.values_list("pk", flat=True)), slug
        for role in ("other_auditor", "other_admin"):
            assert not _rows(view_class, world.users[role]).filter(pk__in=ours.values("pk")).exists(), (slug, role)
