"""Once created the PL/pgSQL functions ``hezuo_rating_submit`` and ``hezuo_period_score``; now does nothing.

They made a worker's rating one statement on PostgreSQL, and so repeated in SQL the month's
score, its standing, the failure rule and the audit event's hashing. A rating is now an
ordinary transaction through the ORM on every database (``evaluations.realtime.services.ratings``),
and migration 0006 drops the functions from databases that ran this migration before. The
file stays, with its name and dependencies, so the migration graph is unchanged.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0004_renewal_and_exit"),
        ("core", "0002_audit_indexes"),
        ("evaluations", "0004_rating_activity_index"),
    ]

    operations = []
