"""Hooks by which domain apps plug into core without core importing them.

* home panels: each app contributes blocks to a user's home page;
* access policies: each app says who may download a file or document that
  belongs to one of its objects;
* page sections: a later app adds a section to an earlier app's page (the
  contract page shows the real-time score, which contracts cannot import);
* the desk: its tables, the words for audit actions, and the page of an object
  (an audited object, or the subject of an issued document).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.urls import NoReverseMatch, reverse


@dataclass
class HomePanel:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50


PanelFactory = Callable[[Any], list[HomePanel]]
_panel_factories: list[PanelFactory] = []

# model label -> fn(user, obj) -> bool
_subject_policies: dict[str, Callable[[Any, models.Model], bool]] = {}
# fn(user, stored_file) -> bool | None (None: "not mine, ask the next policy")
_file_policies: list[Callable[[Any, Any], bool | None]] = []


def register_home_panels(factory: PanelFactory) -> PanelFactory:
    _panel_factories.append(factory)
    return factory


def home_panels(user) -> list[HomePanel]:
    panels: list[HomePanel] = []
    for factory in _panel_factories:
        panels.extend(factory(user))
    return sorted(panels, key=lambda p: p.order)


def register_subject_policy(model: type[models.Model], fn: Callable[[Any, models.Model], bool]) -> None:
    _subject_policies[model._meta.label] = fn


def can_view_subject(user, obj: models.Model | None) -> bool:
    if obj is None:
        return False
    fn = _subject_policies.get(obj._meta.label)
    return bool(fn and fn(user, obj))


def register_file_policy(fn: Callable[[Any, Any], bool | None]) -> None:
    _file_policies.append(fn)


def can_download_file(user, stored_file) -> bool:
    for fn in _file_policies:
        verdict = fn(user, stored_file)
        if verdict is not None:
            return verdict
    return False


@dataclass
class PageSection:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50


# page name -> fn(request, obj) -> PageSection | None
_page_sections: dict[str, list[Callable[[Any, Any], "PageSection | None"]]] = {}


def register_page_section(page: str, fn: Callable[[Any, Any], "PageSection | None"]) -> None:
    """Add a section to ``page`` (e.g. "contracts.contract_detail"); ``fn`` returns None to show nothing."""
    _page_sections.setdefault(page, []).append(fn)


def page_sections(page: str, request, obj) -> list[PageSection]:
    sections = [s for fn in _page_sections.get(page, []) if (s := fn(request, obj)) is not None]
    return sorted(sections, key=lambda s: s.order)


# The auditor's desk: each app registers its read-only tables (core.desk.DeskTableView subclasses).
_desk_tables: dict[str, type] = {}


def register_desk_table(view_class: type) -> type:
    """Class decorator: list a ``DeskTableView`` subclass on the desk under its ``slug``."""
    slug = view_class.slug
    if not slug or (slug in _desk_tables and _desk_tables[slug] is not view_class):
        raise ValueError(f"desk table slug {slug!r} is empty or taken")
    _desk_tables[slug] = view_class
    return view_class


def desk_tables() -> list[type]:
    return sorted(_desk_tables.values(), key=lambda v: (v.order, v.slug))


def desk_table(slug: str) -> type | None:
    return _desk_tables.get(slug)


# Audit actions ("contract.signed") -> what a reader is told ("Contract signed").
_action_labels: dict[str, Any] = {}


def register_action_labels(labels: dict[str, Any]) -> None:
    _action_labels.update(labels)


def action_label(action: str) -> str:
    label = _action_labels.get(action)
    return str(label) if label is not None else action


def action_choices() -> list[tuple[str, str]]:
    return sorted(((code, str(label)) for code, label in _action_labels.items()), key=lambda c: c[1])


# The page of an object: of one named in the audit trail, and of the subject of an issued document
# (core.desk_documents). Model label -> fn(object_id) -> url. Each function must build the URL
# from the id alone (no query), so a page of events or documents costs nothing more.
_object_urls: dict[str, Callable[[str], str]] = {}


def register_object_url(model_label: str, fn: Callable[[str], str]) -> None:
    _object_urls[model_label] = fn


def object_url(model_label: str, object_id: str) -> str:
    fn = _object_urls.get(model_label)
    return fn(object_id) if fn else ""


def apps_with_object_pages() -> set[str]:
    """The app labels of the domain apps that registered the page of some object of theirs."""
    return {label.partition(".")[0] for label in _object_urls}


def url_by_pk(url_name: str) -> Callable[[str], str]:
    """An object-URL function for a page whose only argument is the object's primary key."""

    def url(object_id: str) -> str:
        try:
            return reverse(url_name, args=[object_id])
        except NoReverseMatch:
            return ""

    return url


# Seals on the audit trail: an app whose pages are sealed (an application before the deadline, an
# evaluator's points before compilation) says which of its audit events are sealed too, as
# conditions on ``core.AuditEvent`` rows built from the rule that seals its pages. Core applies them
# to every reading of the trail (core.audit_display.with_seals), when it is read, so the events stay
# complete and their details appear the moment the seal lifts.
@dataclass(frozen=True)
class AuditSeal:
    """Conditions on audit events (``Q`` objects, ``None``: no event) for one reader.

    ``label``: the object may not be named (its label and id); ``actor``: the actor may not be
    named; ``values``: the before/after values may not be shown. What happened and when stays shown.
    """

    label: models.Q | None = None
    actor: models.Q | None = None
    values: models.Q | None = None


_audit_seals: list[Callable[[Any], AuditSeal]] = []


def register_audit_seal(fn: Callable[[Any], AuditSeal]) -> Callable[[Any], AuditSeal]:
    """Register ``fn(user) -> AuditSeal``: the events of one app that ``user`` may not read in full yet."""
    _audit_seals.append(fn)
    return fn


def audit_seal(user) -> AuditSeal:
    """Every registered seal for ``user``, combined: an event is sealed if any app seals it."""
    parts: dict[str, models.Q | None] = {"label": None, "actor": None, "values": None}
    for fn in _audit_seals:
        seal = fn(user)
        for name, current in parts.items():
            q = getattr(seal, name)
            if q is not None:
                parts[name] = q if current is None else current | q
    return AuditSeal(**parts)


# fn(palace_ids) -> Q over users: the people a later app counts as belonging to those palaces
# (procurement: its providers' users), besides the palaces' staff (core's own memberships).
_palace_people: list[Callable[[frozenset[int]], models.Q]] = []


def register_palace_people(fn: Callable[[frozenset[int]], models.Q]) -> None:
    _palace_people.append(fn)


def palace_people_q(palace_ids: frozenset[int]) -> models.Q:
    q = models.Q(memberships__palace_id__in=palace_ids)
    for fn in _palace_people:
        q |= fn(palace_ids)
    return q
