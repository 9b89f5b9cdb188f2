"""The workflows moved with their sub-domains: stored references follow them.

Viewflow keeps a process's flow class and each task's node as text (``app_label/module.Class``,
``…Class.node``). The rectification workflow moved from ``evaluations.flows`` to
``evaluations.rectification.flows``, and the final evaluation's from ``evaluations.flows_final``
to ``evaluations.final.flows``; without this, every process started before the move would no
longer load. Reversible: the reverse writes the old references back.
"""

from django.db import migrations

MOVES = [
    ("evaluations/flows.RectificationFlow", "evaluations/rectification.flows.RectificationFlow"),
    ("evaluations/flows_final.FinalEvaluationFlow", "evaluations/final.flows.FinalEvaluationFlow"),
]


def _move(apps, schema_editor, pairs):
    Process = apps.get_model("viewflow", "Process")
    Task = apps.get_model("viewflow", "Task")
    process_table = schema_editor.quote_name(Process._meta.db_table)
    task_table = schema_editor.quote_name(Task._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        for old, new in pairs:
            cursor.execute(f"UPDATE {process_table} SET flow_class = %s WHERE flow_class = %s", [new, old])  # noqa: S608
            # Each task's reference is the flow's followed by ".node".
            cursor.execute(
                f"UPDATE {task_table} SET flow_task = %s || SUBSTR(flow_task, %s) WHERE flow_task LIKE %s",  # noqa: S608
                [new, len(old) + 1, old + ".%"])


def forwards(apps, schema_editor):
    _move(apps, schema_editor, MOVES)


def backwards(apps, schema_editor):
    _move(apps, schema_editor, [(new, old) for old, new in MOVES])


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0006_drop_rating_functions"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
