"""An auditor reads everything and changes nothing (core.middleware.AuditorsReadOnlyMiddleware).

Every URL of the authorization matrix is POSTed to as the palace's auditor (and as the other
palace's auditor) with the data its own checks send, or with none. Only the requests an auditor
is meant to make may answer anything but a refusal: verifying a document or the audit chain,
and the person's own account and session (logging in and out, the language, their password,
marking their notification read). Nothing is recorded in the audit trail meanwhile.

A person who audits one palace and administers another is not "only an auditor": the services
judge their writes palace by palace, as the authorization matrix shows.
"""

import pytest
from django.urls import reverse

from core.middleware import AUDITOR_POSTS
from core.models import AuditEvent
from tests.authz import build_everything

from .test_authorization_matrix import MATRIX, _matrix_world, world  # noqa: F401  (fixtures)

REFUSED = {403, 405}
# The requests an auditor may make: checks, and their own account and session.
ALLOWED = AUDITOR_POSTS


@pytest.mark.parametrize("role", ["auditor", "other_auditor"])
def test_every_post_by_an_auditor_is_refused(world, client_for, role):  # noqa: F811  (the fixture)
    build_everything(world)
    client = client_for(world.users[role])
    before = AuditEvent.objects.count()
    answered = []
    for name, checks in sorted(MATRIX.items()):
        if name in ALLOWED:
            continue
        seen = set()
        for check in checks:
            target = check.url(world)
            if target in seen:
                continue
            seen.add(target)
            data = check.data if check.method == "post" else {}
            response = client.post(target, data)
            if response.status_code not in REFUSED:
                answered.append(f"POST {target} ({name}) as {role}: {response.status_code}")
    assert not answered, "\n".join(answered)
    assert AuditEvent.objects.count() == before


def test_an_auditor_who_also_administers_may_still_run_their_palace(world, client_for):  # noqa: F811
    """The guard is for people who only audit: an administrator of Foshan who audits Wenshang
    still saves Foshan's weights (and the services still refuse them Wenshang's)."""
    from core.models import Role
    from core.permissions import palace_ids

    user = world.users["other_admin"]
    user.memberships.create(palace=world.wenshang, role=Role.AUDITOR)
    user.__dict__.pop("_hezuo_roles", None)
    assert world.wenshang.pk in palace_ids(user, Role.AUDITOR)
    response = client_for(user).post(reverse("evaluations:final_weights"), {})
    assert response.status_code == 200  # the form again, with its errors: the view was reached
