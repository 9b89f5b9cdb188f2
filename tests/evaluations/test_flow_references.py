"""Processes started before the workflows moved into their sub-domains still load (migration 0007)."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from viewflow.workflow.models import Process, Task

from evaluations.final.flows import FinalEvaluationFlow
from evaluations.rectification.flows import RectificationFlow

pytestmark = pytest.mark.django_db

migration = importlib.import_module("evaluations.migrations.0007_flow_references")
# What RunPython hands the migration, without opening a schema change (SQLite refuses one inside the test's transaction).
EDITOR = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)


def _stored(process: Process) -> tuple[str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT flow_class FROM viewflow_process WHERE id = %s", [process.pk])
        flow_class = cursor.fetchone()[0]
        cursor.execute("SELECT flow_task FROM viewflow_task WHERE process_id = %s ORDER BY id", [process.pk])
        return flow_class, [row[0] for row in cursor.fetchall()]


def _process_with_old_references(old_class: str, nodes: list[str]) -> Process:
    process = Process.objects.create(flow_class=RectificationFlow)
    for _node in nodes:
        Task.objects.create(process=process, flow_task=RectificationFlow.start)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE viewflow_process SET flow_class = %s WHERE id = %s", [old_class, process.pk])
        for task, node in zip(Task.objects.filter(process=process).order_by("pk"), nodes, strict=True):
            cursor.execute("UPDATE viewflow_task SET flow_task = %s WHERE id = %s", [f"{old_class}.{node}", task.pk])
    return process


def test_old_references_are_moved_to_the_sub_domains_and_load_again():
    rectification = _process_with_old_references("evaluations/flows.RectificationFlow", ["start", "respond"])
    final = _process_with_old_references("evaluations/flows_final.FinalEvaluationFlow", ["start", "panel"])
    migration.forwards(apps, EDITOR)

    assert _stored(rectification) == (
        "evaluations/rectification.flows.RectificationFlow",
        [
            "evaluations/rectification.flows.RectificationFlow.start",
            "evaluations/rectification.flows.RectificationFlow.respond",
        ],
    )
    assert _stored(final)[0] == "evaluations/final.flows.FinalEvaluationFlow"
    assert _stored(final)[1][1] == "evaluations/final.flows.FinalEvaluationFlow.panel"
    assert Process.objects.get(pk=rectification.pk).flow_class is RectificationFlow
    assert Process.objects.get(pk=final.pk).flow_class is FinalEvaluationFlow
    assert Task.objects.filter(process=rectification).order_by("pk").last().flow_task is RectificationFlow.respond

    migration.backwards(apps, EDITOR)
    assert _stored(rectification)[1] == [
        "evaluations/flows.RectificationFlow.start",
        "evaluations/flows.RectificationFlow.respond",
    ]
