"""A model's FSM transitions are fired by its own app only (CONVENTIONS.md: evaluations asks contracts to
open a rectification; it does not call ``contract.open_rectification()`` itself).

The transitions are collected from the models themselves (viewflow.fsm's transition descriptors), so a
new one is covered the day it is written. Every Python file of the project outside ``tests/`` is parsed,
and a call ``something.<transition>()`` in a file of app Y is reported when the transition belongs to a
model of another app X and to no model of Y.

A static check cannot know a variable's type, so a call is taken for a transition when:
- the name is distinctive (it has an underscore: ``open_rectification``, ``begin_final_evaluation``),
  whatever the variable is called; or
- a one-word name (``terminate``, ``complete``, ``close``: words that files, processes and workbooks use
  too) is called with no argument on a name that says the model (``contract.terminate()``,
  ``self.contract.complete()``, ``old_contract.terminate()``, ``report.accept()``).
A name that is a transition of the calling app too (``submit``, ``cancel``) cannot be told apart and is
left to review.
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

from django.apps import apps
from django.conf import settings
from viewflow.fsm.base import SuperTransitionDescriptor, TransitionDescriptor

ROOT = Path(settings.BASE_DIR)
SKIP_DIRS = {".venv", "tests", "migrations", "node_modules", "staticfiles", "media", "artifacts"}


def transitions_by_app() -> dict[str, dict[str, set[str]]]:
    """{app label: {transition name: {model names}}} for every project model with viewflow.fsm transitions."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for model in apps.get_models():
        if not Path(apps.get_app_config(model._meta.app_label).path).is_relative_to(ROOT):
            continue  # viewflow's own models and other installed packages
        for klass in model.__mro__:
            for name, attr in vars(klass).items():
                if isinstance(attr, TransitionDescriptor | SuperTransitionDescriptor):
                    found[model._meta.app_label][name].add(model.__name__)
    return found


def _words(model_name: str) -> set[str]:
    """ServiceReport → {"servicereport", "service_report", "report"}: how code names an instance of it."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", model_name).lower()
    return {model_name.lower(), snake, snake.split("_")[-1]}


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id.lower()
    if isinstance(node, ast.Attribute):
        return node.attr.lower()
    return ""


def foreign_transition_calls(source: str, app: str, transitions: dict[str, dict[str, set[str]]]) -> list[str]:
    """The calls in ``source`` (a module of ``app``) that fire another app's transition, as text."""
    own = set(transitions.get(app, {}))
    foreign: dict[str, set[str]] = defaultdict(set)  # name → models of other apps
    for label, names in transitions.items():
        if label != app:
            for name, models in names.items():
                if name not in own:
                    foreign[name] |= models
    calls = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in foreign):
            continue
        name = node.func.attr
        receiver = _receiver(node.func.value)
        named = any(receiver == w or receiver.endswith("_" + w) for m in foreign[name] for w in _words(m))
        if "_" in name.strip("_") or (named and not node.args and not node.keywords):
            calls.append(f"line {node.lineno}: {ast.unparse(node)}")
    return calls


def _project_modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if SKIP_DIRS.intersection(relative.parts):
            continue
        yield relative, relative.parts[0] if len(relative.parts) > 1 else ""


def test_the_transitions_are_found_on_the_models():
    transitions = transitions_by_app()
    assert {
        "open_rectification",
        "close_rectification",
        "begin_final_evaluation",
        "complete",
        "terminate",
        "activate",
    } <= set(transitions["contracts"])
    assert {"publish", "award", "withdraw"} <= set(transitions["procurement"])
    assert {"propose", "finalise", "pass_", "respond"} <= set(transitions["evaluations"])


def test_no_module_fires_another_apps_transition():
    transitions = transitions_by_app()
    offences = []
    for relative, app in _project_modules():
        for call in foreign_transition_calls((ROOT / relative).read_text(encoding="utf-8"), app, transitions):
            offences.append(f"{relative}: {call}")
    assert not offences, "call the owning app's service instead of firing its model's transition:\n" + "\n".join(
        offences
    )


def test_the_check_catches_evaluations_firing_a_contract_transition():
    transitions = transitions_by_app()
    planted = """
def exit_open(*, contract, evaluation, workbook, proc):
    contract.terminate()
    evaluation.contract.complete()
    contract.open_rectification()
    c = contract
    c.begin_final_evaluation()
    workbook.close()        # a file, not a recruitment
    proc.terminate()        # a process, not a contract
    evaluation.cancel()     # evaluations' own transition
    translation.activate("zh-hans")
"""
    found = foreign_transition_calls(planted, "evaluations", transitions)
    assert found == [
        "line 3: contract.terminate()",
        "line 4: evaluation.contract.complete()",
        "line 5: contract.open_rectification()",
        "line 7: c.begin_final_evaluation()",
    ]
    at_home = "\n".join(line for line in planted.splitlines() if "contract" in line)
    assert foreign_transition_calls(at_home, "contracts", transitions) == []  # in contracts, the same calls are fine
