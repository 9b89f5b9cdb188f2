"""Fill the database with the demo palaces, users and lifecycle data. Safe to run again."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from demo.contracts import seed_contracts
from demo.final import seed_final_evaluations
from demo.palaces import seed_core
from demo.providers import seed_procurement
from demo.realtime import seed_evaluations
from demo.recruitments import seed_recruitments
from evaluations.standing.summaries import close_periods


class Command(BaseCommand):
    help = (
        "Create the demo palaces, logins, providers, service projects, recruitments, contracts, "
        "service reports, real-time and final evaluations (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--send-mail",
            action="store_true",
            help="Send the notification e-mails the seeding triggers (off by default).",
        )

    def handle(self, *args, **options):
        if not options["send_mail"]:
            settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        with transaction.atomic():
            root = seed_core()
            seed_procurement(root)
            seed_recruitments(root)
            seed_contracts(root)
        seed_evaluations(self.stdout)
        seed_final_evaluations(self.stdout)
        # What the scheduler would have done by now: the months whose rating window has
        # closed get their real-time summary PDF.
        self.stdout.write(f"  {close_periods(timezone.now())} (monthly summaries)")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Every demo password is hezuo-demo."))
