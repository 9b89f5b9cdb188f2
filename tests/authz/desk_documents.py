"""Rows for the desk's ZIP of issued documents (core/views_desk_zip.py).

Whoever uses the desk (a palace's auditors and administrators, the superuser) may ask for the
ZIP; everyone else is refused. The world holds one document, provider A's registration
certificate at Wenshang: Wenshang's auditor and administrator and the superuser get it as a
ZIP (200); Foshan's administrator and auditor have no document, so they are sent back to the
table with a message (302), not shown Wenshang's. Downloads are GETs: a POST is refused, with
403 to those the desk application turns away (providers, evaluators) and to auditors (who may
POST nothing here, core.middleware.AuditorsReadOnlyMiddleware), 405 to everyone else.
"""

from tests.authz import LOGIN, Check, E, url

ROWS: dict[str, list[Check]] = {
    "desk:documents_zip": [
        Check(url("desk:documents_zip"), E(LOGIN, 403, 302, 302, 403, 200, 403, 200, 200)),
        Check(url("desk:documents_zip"), E(405, 403, 405, 403, 403, 403, 403, 405, 405), "post"),
    ],
}


def build(world) -> None:
    """Nothing to add: the world's provider certificate is the document."""
