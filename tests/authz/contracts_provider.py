"""Rows for the provider's side of contracts: its contracts, accepting one, and its service reports.

Only provider A, the contracted party, acts. Provider B, the palace's staff, the other
palace and the superuser are refused; staff read the shared contract and report pages
instead. POST-only actions answer 405 to a GET from anyone logged in.

The contracts are built lazily, through the services (tests/contract_builders.py),
the first time a row asks for one, so rows of other areas do not pay for them.
"""

from datetime import timedelta
from functools import cached_property

from contracts import services
from tests.authz import LOGIN, Check, E, foundation, url
from tests.contract_builders import active_contract, draft_contract
from tests.factories import pdf_upload

OWN = E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403)  # each provider its own (B's is empty)
PARTY = E(LOGIN, 403, 403, 403, 403, 403, 200, 403, 403)
ACT = E(LOGIN, 403, 403, 403, 403, 403, 302, 403, 403)
POST_ONLY = E(LOGIN, 405, 405, 405, 405, 405, 405, 405, 405)


def c(name):
    return lambda w: getattr(w.provider_contracts, name).pk


ROWS: dict[str, list[Check]] = {
    "contracts:my_contracts": [Check(url("contracts:my_contracts"), OWN)],
    "contracts:contract_accept": [
        Check(url("contracts:contract_accept", c("signed")), POST_ONLY),
        # Not signed by the palace yet: provider A is told so, on the contract's page.
        Check(url("contracts:contract_accept", c("unsigned")), ACT, "post"),
        Check(url("contracts:contract_accept", c("signed")), ACT, "post"),
    ],
    "contracts:my_reports": [Check(url("contracts:my_reports"), OWN)],
    "contracts:report_edit": [
        Check(url("contracts:report_edit", c("pending")), PARTY),
        Check(url("contracts:report_edit", c("pending")), ACT, "post", {"narrative": "本月工作小结", "action": "save"}),
        # Submitted: not editable, so provider A is sent to the report's page.
        Check(url("contracts:report_edit", c("submitted")), ACT),
    ],
    "contracts:report_import": [
        Check(url("contracts:report_import", c("pending")), POST_ONLY),
        # No file: the page again, asking for one. Nothing is written.
        Check(url("contracts:report_import", c("pending")), PARTY, "post"),
    ],
    "contracts:report_submit": [
        Check(url("contracts:report_submit", c("drafted")), POST_ONLY),
        Check(url("contracts:report_submit", c("drafted")), ACT, "post"),
    ],
}

# The download URL's row belongs to the foundation; this adds its check for a report's attachment.
REPORT_FILE_CHECKS = [
    Check(
        url("file_download", lambda w: w.provider_contracts.attachment_file.pk),
        E(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200),
    ),
]
if REPORT_FILE_CHECKS[0] not in foundation.ROWS["file_download"]:
    foundation.ROWS["file_download"].extend(REPORT_FILE_CHECKS)


class ProviderContracts:
    """Provider A's contracts at Wenshang and reports in each state, built through the services on first use."""

    def __init__(self, world):
        self.world = world
        self.admin = world.users["admin"]
        self.user = world.users["provider_a"]

    @cached_property
    def active(self):
        return active_contract(
            palace=self.world.wenshang, provider=self.world.provider_a, provider_user=self.user, admin=self.admin
        )

    def _report(self, sequence: int, *, attachments=()):
        report = self.active.reports.get(sequence=sequence)
        day = report.period_start + timedelta(days=2)
        return services.report_save(
            actor=self.user,
            report=report,
            narrative="本月开展职工书法培训四场。",
            attachments=attachments,
            activities=[services.ActivityInput(day, "职工书法兴趣班", "culture", "二楼书画室", 28)],
        )

    @cached_property
    def pending(self):
        return self.active.reports.get(sequence=1)

    @cached_property
    def drafted(self):
        return self._report(3)

    @cached_property
    def submitted(self):
        return services.report_submit(actor=self.user, report=self._report(2))

    @cached_property
    def attachment_file(self):
        return self._report(4, attachments=[pdf_upload("签到表.pdf")]).attachments.get().file

    def _draft(self):
        return draft_contract(palace=self.world.wenshang, provider=self.world.provider_a)

    @cached_property
    def unsigned(self):
        return self._draft()

    @cached_property
    def signed(self):
        return services.contract_sign(actor=self.admin, contract=self._draft())


def build(world) -> None:
    world.provider_contracts = ProviderContracts(world)
