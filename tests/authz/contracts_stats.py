"""Rows for the palace statistics page (contracts/views_stats.py).

Any staff role of a palace reads its figures; another palace's staff read their own
palace by default but are refused this one when they forge its id; providers are
refused; the superuser reads every palace.
"""

from tests.authz import LOGIN, Check, E, url

# Expected answers, in ROLES order: anon, provider B, other admin, other auditor,
# evaluator, auditor, provider A, admin, superuser.
OWN_PALACE = E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 200)
THIS_PALACE = E(LOGIN, 403, 403, 403, 200, 200, 403, 200, 200)


def _wenshang(suffix: str = ""):
    return lambda w: f"{url('contracts:statistics')(w)}?palace={w.wenshang.pk}{suffix}"


ROWS = {
    "contracts:statistics": [
        Check(url("contracts:statistics"), OWN_PALACE),
        Check(_wenshang(), THIS_PALACE),
        Check(_wenshang("&start=2026-01-01&end=2026-12-31&export=csv"), THIS_PALACE),
        Check(_wenshang("&export=xlsx"), THIS_PALACE),
    ],
}


def build(world) -> None:
    """The page reads aggregates only: the matrix's palaces and users are all it needs."""
