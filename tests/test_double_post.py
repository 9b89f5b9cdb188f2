"""Every POST of the authorization matrix, sent twice: a replay (a double click, a second tab, two
administrators at once) answers with a page or a redirect that says what happened, never a 500, and
never writes the same thing twice.

The matrix's world is built once for this module, as for the matrix itself; each case runs in its own
savepoint. The role is the first (least privileged) role the matrix lets through.
"""

import pytest
from django.contrib.messages import get_messages

from core.models import AuditEvent

from . import test_authorization_matrix as matrix
from .authz import ROLES

MATRIX = matrix.MATRIX
# The matrix's fixtures: its world, built once for this module too.
_matrix_world = matrix._matrix_world
world = matrix.world

# POSTs whose second sending rightly writes again, each with why.
WRITES_AGAIN: dict[str, str] = {
    # "Save" on a draft report: the provider keeps working on it, and each save is recorded as made.
    # Nothing is added twice (the draft is saved over), and submitting is the step that happens once.
    "contracts:report_edit": "saving a draft again is another save of the same draft",
}

CASES = [
    pytest.param(name, index, id=f"{name}[{index}]")
    for name, checks in sorted(MATRIX.items())
    for index, check in enumerate(checks)
    if check.method == "post"
]


def _allowed_role(check) -> str | None:
    for role in ROLES:
        answer = check.expect[role]
        if isinstance(answer, int) and 200 <= answer < 400:
            return role
    return None


def _said(response) -> list[str]:
    """What the page tells the user: its messages, and the errors of the forms it shows again."""
    said = [str(m) for m in get_messages(response.wsgi_request)]
    for context in response.context or []:
        for value in context.flatten().values():
            errors = getattr(value, "errors", None)
            if errors and hasattr(value, "is_bound"):
                said.append(str(errors))
    return said


@pytest.mark.parametrize(("name", "index"), CASES)
def test_a_post_sent_twice_answers_without_writing_twice(name, index, world, client_for):
    check = MATRIX[name][index]
    role = _allowed_role(check)
    if role is None:
        pytest.skip("no role may send this POST (every answer is a refusal)")
    client = client_for(world.users.get(role))
    client.raise_request_exception = False
    target = check.url(world)
    before = AuditEvent.objects.count()
    first = client.post(target, check.data)
    after_first = AuditEvent.objects.count()
    if 300 <= first.status_code < 400:
        client.get(first["Location"])  # the browser follows, and the first answer's message is read there
    second = client.post(target, check.data)
    after_second = AuditEvent.objects.count()

    assert first.status_code < 500, f"the first POST {target} as {role} answered {first.status_code}"
    assert second.status_code < 500, f"the second POST {target} as {role} answered {second.status_code}"
    if name not in WRITES_AGAIN:
        assert after_second == after_first, (
            f"the second POST {target} as {role} wrote {after_second - after_first} audit event(s) again "
            f"(the first wrote {after_first - before})"
        )
    if after_first > before and after_second == after_first:
        said = _said(second)
        assert said, f"the second POST {target} as {role} was refused in silence"
