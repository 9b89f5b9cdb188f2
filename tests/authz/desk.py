"""Rows for the audit desk's index and tables (core/desk_app.py; each app's desk.py registers its tables).

Who uses the desk: the administrators and auditors of a palace, each seeing only their palaces'
rows, and the superuser (every palace). The other palace's administrator and auditor get the
page too, but with none of Wenshang's rows (tests/test_desk_scoping.py proves that table by
table). Evaluators and providers are refused. Every registered table gets a row check and an
export check, so a table added later is in the matrix without anyone remembering to add it.
"""

from core.registry import desk_tables
from tests.authz import LOGIN, Check, E, url

DESK = E(LOGIN, 403, 200, 200, 403, 200, 403, 200, 200)


def _table_checks() -> list[Check]:
    checks = []
    for view in desk_tables():
        checks.append(Check(url("desk:table", view.slug), DESK))
        checks.append(Check(url("desk:table", view.slug), DESK, data={"_export": "csv"}))
    checks.append(Check(url("desk:table", "no-such-table"), E(LOGIN, 403, 404, 404, 403, 404, 403, 404, 404)))
    return checks


ROWS: dict[str, list[Check]] = {
    "desk:index": [Check(url("desk:index"), DESK)],
    "desk:table": _table_checks(),
}


def build(world):
    pass
