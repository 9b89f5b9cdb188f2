"""``manage.py tick``: run every scheduled job once, one line each. Meant for cron, every minute.

    * * * * *  cd /srv/hezuo && .venv/bin/python manage.py tick

Idempotent and safe to overlap (see ``core.scheduler``). Exits 1 if any job
failed, after running the rest, so cron's mail or the monitoring sees it.
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.scheduler import registered_jobs, run_jobs


class Command(BaseCommand):
    help = "Run every scheduled job once (close recruitments at their deadline, reminders, …)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Act as if it were this ISO time (for catching up or testing).")
        parser.add_argument(
            "--job",
            action="append",
            dest="jobs",
            metavar="NAME",
            help="Run only this job (repeatable). Without it, all of them.",
        )
        parser.add_argument("--list", action="store_true", help="List the registered jobs and exit.")

    def handle(self, *args, now=None, jobs=None, list=False, **options):
        if list:
            for name in registered_jobs():
                self.stdout.write(name)
            return
        when = self._parse(now) if now else timezone.now()
        unknown = set(jobs or ()) - set(registered_jobs())
        if unknown:
            raise CommandError(f"No such job: {', '.join(sorted(unknown))}")
        failed = 0
        for result in run_jobs(when, jobs):
            status = "ok" if result.ok else "FAILED"
            failed += not result.ok
            self.stdout.write(f"{result.name}: {status}: {result.summary}")
        if failed:
            raise CommandError(f"{failed} job(s) failed", returncode=1)

    @staticmethod
    def _parse(value: str) -> datetime:
        parsed = parse_datetime(value)
        if parsed is None:
            raise CommandError(f"Not an ISO date-time: {value}")
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
