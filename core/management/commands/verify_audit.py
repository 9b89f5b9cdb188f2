"""Walk the audit hash chain and name the first event that was altered, removed or moved.

    manage.py verify_audit
    manage.py verify_audit --against 证明.pdf audit/checkpoints/2026-12-08.json

Exits 0 with "Checked N events; the chain is intact.", or 1 with the problem
and the seq, action, object and time of the first bad event (for a removed
event, of the stored event next to the gap). Run it from cron and alert on a
non-zero exit. The desk's "Verify the chain" page runs the same check
(core.audit.verify_chain) and names the same events (core.audit.chain_break).

The chain cannot see its own tail cut off when the head is moved back with it.
``--against`` checks it against anchors kept outside the database (core.audit_anchor):
an issued PDF, which prints the chain's position and head hash at the moment of
issue, or a daily checkpoint written by ``tick``. It fails, saying which file
and how, when the chain no longer holds that event with that hash.
"""

from django.core.management.base import BaseCommand, CommandError

from core.audit import chain_break, describe, verify_chain
from core.audit_anchor import ANCHOR_UNREADABLE, AnchorUnreadable, check_anchor, read_anchor


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 naming the first altered or removed event."

    def add_arguments(self, parser):
        parser.add_argument(
            "--against",
            nargs="+",
            default=[],
            metavar="FILE",
            help="Also check the chain against issued PDFs or checkpoint files (JSON: position, head_hash, time).",
        )

    def handle(self, *args, against=(), **options):
        # Read every file first: a file that is not an anchor is the operator's mistake, said before any verdict.
        anchors = []
        for path in against:
            try:
                anchors.append(read_anchor(path))
            except AnchorUnreadable:
                raise CommandError(ANCHOR_UNREADABLE % {"path": path}) from None
        report = verify_chain()
        problems = []
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"Checked {report.checked} events; the chain is intact."))
        else:
            problems.append(self._chain_problem(report))
        for anchor in anchors:
            result = check_anchor(anchor)
            if result.ok:
                self.stdout.write(self.style.SUCCESS(result.message))
            else:
                problems.append(result.message)
        if problems:
            raise CommandError("\n".join(problems))

    @staticmethod
    def _chain_problem(report) -> str:
        lines = [f"The audit chain is broken at event #{report.first_bad_seq}: {report.problem}."]
        found = chain_break(report)
        if found.bad is not None:
            lines.append(f"  first bad event: {describe(found.bad)}")
        # The event itself is gone: show its stored neighbours, which bound the gap.
        if found.last_good is not None:
            lines.append(f"  last good event:   {describe(found.last_good)}")
        if found.next_stored is not None:
            lines.append(f"  next stored event: {describe(found.next_stored)}")
        lines.append(f"Checked {report.checked} events before stopping.")
        return "\n".join(lines)
