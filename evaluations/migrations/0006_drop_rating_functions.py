"""Drop the rating functions that migration 0005 once created (PostgreSQL only; nothing on SQLite).

Every rule they repeated (the month's score and standing, the failure rule, the audit event's
hash) is held once, in Python. Reversing this migration does not bring them back.
"""

from django.db import migrations

# Both signatures 0005 ever had: its first version took the client address as inet.
DROP = """
DROP FUNCTION IF EXISTS hezuo_rating_submit(text, integer, integer, text, text, timestamptz, date, date, boolean, text,
                                           text[], text[], text[], text, integer, integer[], numeric, numeric);
DROP FUNCTION IF EXISTS hezuo_rating_submit(text, integer, integer, text, text, timestamptz, date, date, boolean, inet,
                                           text, text[], text[], text[], integer, integer[], numeric, numeric);
DROP FUNCTION IF EXISTS hezuo_period_score(numeric, integer, numeric, integer, integer, integer, numeric,
                                          integer, integer, integer, integer, integer);
"""


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [("evaluations", "0005_rating_submit_function")]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
