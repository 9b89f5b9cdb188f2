"""Walk the audit hash chain and name the first event that was altered, removed or moved.

    manage.py verify_audit

Exits 0 with "Checked N events; the chain is intact.", or 1 with the problem
and the seq, action, object and time of the first bad event (for a removed
event, of the stored event next to the gap). Run it from cron and alert on a
non-zero exit. The desk's "Verify the chain" page runs the same check
(core.audit.verify_chain) and names the same events (core.audit.chain_break).
"""

from django.core.management.base import BaseCommand, CommandError

from core.audit import chain_break, describe, verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 naming the first altered or removed event."

    def handle(self, *args, **options):
        report = verify_chain()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"Checked {report.checked} events; the chain is intact."))
            return
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
        raise CommandError("\n".join(lines))
