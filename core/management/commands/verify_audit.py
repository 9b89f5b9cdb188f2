"""Walk the audit hash chain and name the first event that was altered, removed or moved.

    manage.py verify_audit

Exits 0 with "Checked N events; the chain is intact.", or 1 with the problem
and the seq, action, object and time of the first bad event (for a removed
event, of the stored event next to the gap). Run it from cron and alert on a
non-zero exit.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.audit import verify_chain
from core.models import AuditEvent


def describe(event: AuditEvent) -> str:
    when = timezone.localtime(event.created_at).isoformat(timespec="seconds")
    return (
        f"#{event.seq} · {event.action} · {event.object_type} {event.object_id} "
        f"“{event.object_repr}” · {when} · by {event.actor_label}"
    )


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 naming the first altered or removed event."

    def handle(self, *args, **options):
        report = verify_chain()
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(f"Checked {report.checked} events; the chain is intact.")
            )
            return
        lines = [f"The audit chain is broken at event #{report.first_bad_seq}: {report.problem}."]
        bad = AuditEvent.objects.filter(seq=report.first_bad_seq).first()
        if bad is not None:
            lines.append(f"  first bad event: {describe(bad)}")
        else:
            # The event itself is gone: show its stored neighbours, which bound the gap.
            before = (
                AuditEvent.objects.filter(seq__lt=report.first_bad_seq).order_by("-seq").first()
            )
            after = AuditEvent.objects.filter(seq__gt=report.first_bad_seq).order_by("seq").first()
            if before is not None:
                lines.append(f"  last good event:   {describe(before)}")
            if after is not None:
                lines.append(f"  next stored event: {describe(after)}")
        lines.append(f"Checked {report.checked} events before stopping.")
        raise CommandError("\n".join(lines))
