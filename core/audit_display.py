"""How an audit event reads to a person: words for its action, object type, actor and changes.

The trail stores codes ("contract.signed", "contracts.Contract", field names) so that its hashes
never depend on a language; everything a reader sees is looked up here at display time.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import BooleanField, Case, CharField, F, Value, When
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent
from .registry import action_label, apps_with_object_pages, audit_seal

NOT_AUDITED = {"core.AuditEvent", "core.AuditHead"}
SYSTEM = _("System")
SEALED = _("Sealed")
SEALED_OBJECT = _("(sealed until the seal lifts)")
SEALED_VALUES = _("The values of this event are sealed: they are shown once the seal lifts.")


def _flag(condition: models.Q | None):
    if condition is None:
        return Value(False, output_field=BooleanField())
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def _unless(condition: models.Q | None, field: str):
    if condition is None:
        return F(field)
    return Case(When(condition, then=Value("")), default=F(field), output_field=CharField())


def with_seals(events: models.QuerySet, user) -> models.QuerySet:
    """The events as ``user`` may read them: every reading of the trail goes through here.

    Each event carries ``label_sealed``, ``actor_sealed`` and ``values_sealed`` (the apps' seals,
    ``core.registry.register_audit_seal``, decided in the query, so when it is read), and
    ``shown_repr``, ``shown_actor_label`` and ``shown_actor_name``: what may be searched and sorted
    on, empty where sealed, so that a search or an order never gives away a sealed name. An event
    read without it has no such attributes, and the functions below fail on it rather than show it.
    """
    seal = audit_seal(user)
    return events.annotate(
        label_sealed=_flag(seal.label),
        actor_sealed=_flag(seal.actor),
        values_sealed=_flag(seal.values),
        shown_repr=_unless(seal.label, "object_repr"),
        shown_actor_label=_unless(seal.actor, "actor_label"),
        shown_actor_name=_unless(seal.actor, "actor__full_name"),
    )


@lru_cache(maxsize=256)
def audited_model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def object_type_label(label: str) -> str:
    """ "contracts.Contract" -> the model's verbose name in the reader's language."""
    model = audited_model(label)
    return capfirst(str(model._meta.verbose_name)) if model is not None else label


def object_type_choices() -> list[tuple[str, str]]:
    """Every model of the apps that record events, by name: fixed, so no scan of the trail.

    Those apps are core and the domain apps, which core does not name: each registers the pages
    of its objects (``core.registry.register_object_url``), and so is known here."""
    audited = [apps.get_app_config(label) for label in ["core", *sorted(apps_with_object_pages())]]
    choices = [
        (m._meta.label, capfirst(str(m._meta.verbose_name)))
        for config in audited
        for m in config.get_models()
        if m._meta.label not in NOT_AUDITED
    ]
    return sorted(choices, key=lambda c: c[1])


def object_label(event: AuditEvent) -> str:
    """The object's name as recorded, or a word saying it is sealed (``event`` from ``with_seals``)."""
    return str(SEALED_OBJECT) if event.label_sealed else event.object_repr


def actor_name(event: AuditEvent) -> str:
    """The person's full name, or "System" for an event no person caused (``actor`` loaded), or
    "Sealed" while the actor may not be named (``event`` from ``with_seals``)."""
    if event.actor_sealed:
        return str(SEALED)
    if event.actor_id is None:
        return str(SYSTEM)
    return event.actor.get_full_name()


def actor_login(event: AuditEvent) -> str:
    """The login name beside the full name, when it adds something."""
    if event.actor_sealed or event.actor_id is None or event.actor_label == actor_name(event):
        return ""
    return event.actor_label


def actor_text(event: AuditEvent) -> str:
    login = actor_login(event)
    return f"{actor_name(event)} ({login})" if login else actor_name(event)


def event_action_label(event: AuditEvent) -> str:
    return action_label(event.action)


def field_label(object_type: str, key: str) -> str:
    model = audited_model(object_type)
    if model is not None:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            return key
        # a reverse relation ("criteria" of a recruitment) has no verbose name: name its model
        name = getattr(field, "verbose_name", None)
        if name is None and getattr(field, "related_model", None) is not None:
            name = field.related_model._meta.verbose_name_plural
        return capfirst(str(name)) if name else key
    return key


def show_value(value: Any) -> str:
    """A stored JSON value as text: strings as they are, anything else as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


_ABSENT = object()


@dataclass
class FieldChange:
    key: str
    label: str
    before: str
    after: str
    changed: bool


def _as_dict(value) -> dict:
    return value if isinstance(value, dict) else ({} if value is None else {"": value})


def field_changes(event: AuditEvent) -> list[FieldChange]:
    """before/after side by side, key by key; ``changed`` where both sides exist and differ or one is
    missing (a record created has only an "after": every field it set counts as changed).
    Nothing while the values are sealed (``event`` from ``with_seals``)."""
    if event.values_sealed:
        return []
    before, after = _as_dict(event.before), _as_dict(event.after)
    keys = list(before) + [k for k in after if k not in before]
    rows = []
    for key in keys:
        b, a = before.get(key, _ABSENT), after.get(key, _ABSENT)
        rows.append(
            FieldChange(
                key=key,
                label=field_label(event.object_type, key) if key else "",
                before="" if b is _ABSENT else show_value(b),
                after="" if a is _ABSENT else show_value(a),
                changed=b != a,
            )
        )
    return rows


def changed_fields(event: AuditEvent) -> list[str]:
    """The names of the fields an event changed, in the reader's language ("Sealed" while sealed)."""
    if event.values_sealed:
        return [str(SEALED)]
    return [c.label or c.key for c in field_changes(event) if c.changed]
