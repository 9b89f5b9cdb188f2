"""The auditor's desk: read-only tables of every record in the palaces a user audits or runs.

Each app lists its own tables by subclassing ``DeskTableView`` (and ``DeskFilterSet``) and
decorating the view with ``core.registry.register_desk_table``; the desk application
(``core.desk_app.DeskApp``) serves them at ``/app/desk/<slug>/`` and puts them in its menu.

Every desk table has the same parts: text search, a date range, a status filter, a palace
filter for people of more than one palace, sortable columns, and a CSV/XLSX export of the
filtered rows that is streamed (``core.exports``). A table sees only rows of the user's
palaces; ``palace_field`` says how a row reaches its palace.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Palace, Role
from .permissions import AnyUser, palace_ids
from .tables import FilteredTableView
from .viewmixins import deny_or_login


def desk_palace_ids(user: AnyUser) -> frozenset[int]:
    """The palaces whose records ``user`` reads on the desk: those they audit or administer."""
    return palace_ids(user, Role.AUDITOR, Role.ADMIN)


def can_use_desk(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(desk_palace_ids(user)))


def desk_palaces(user: AnyUser):
    qs = Palace.objects.all() if user.is_superuser else Palace.objects.filter(pk__in=desk_palace_ids(user))
    return qs.order_by("name")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DeskFilterSet(django_filters.FilterSet):
    """Search, date range and palace; subclasses add their status filter (named ``status``).

    ``search_fields``: lookups searched (icontains, any of them) by the text box.
    ``date_field``: the lookup the date range applies to (``issued_at__date`` for a datetime).
    ``palace_field``: how a row reaches its palace (the view's, passed in).
    """

    search_fields: tuple[str, ...] = ()
    date_field: str = ""
    date_from_label = _("From")
    date_to_label = _("To")

    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=100)
    date_from = django_filters.DateFilter(label=_("From"), method="from_date", widget=DateInput())
    date_to = django_filters.DateFilter(label=_("To"), method="to_date", widget=DateInput())
    palace = django_filters.ModelChoiceFilter(
        label=_("Palace"), queryset=Palace.objects.none(), method="by_palace", empty_label=_("All")
    )

    def __init__(self, *args, palaces=None, palace_field="palace", **kwargs):
        """``palaces``: the palace filter's choices; ``None`` leaves the filter out (one palace)."""
        super().__init__(*args, **kwargs)
        self.palace_field = palace_field
        if palaces is None:
            del self.filters["palace"]
        else:
            self.filters["palace"].queryset = palaces
        if not self.date_field:
            del self.filters["date_from"]
            del self.filters["date_to"]
        else:
            self.filters["date_from"].label = self.date_from_label
            self.filters["date_to"].label = self.date_to_label

    def search(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        q = Q()
        for field in self.search_fields:
            q |= Q(**{f"{field}__icontains": value})
        return queryset.filter(q)

    def from_date(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": value})

    def to_date(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__lte": value})

    def by_palace(self, queryset, name, value):
        return queryset.filter(**{self.palace_field: value})


class DeskTableView(FilteredTableView):
    """One desk table. Subclasses set ``slug``, ``page_title``, ``description``, ``icon``, ``order``,
    ``table_class``, ``filterset_class``, ``palace_field`` and implement ``base_queryset``.

    The palace column (a column named ``palace``) is shown only to people of more than one palace.
    """

    template_name = "core/desk/table.html"
    slug = ""
    description = ""
    icon = "table_rows"
    order = 50
    palace_field = "palace"

    def dispatch(self, request, *args, **kwargs):
        if not can_use_desk(request.user):
            return deny_or_login(request)
        return super().dispatch(request, *args, **kwargs)

    def base_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        qs = self.base_queryset()
        user = self.request.user
        if not user.is_superuser:
            qs = qs.filter(**{f"{self.palace_field}__in": desk_palace_ids(user)})
        return qs

    @property
    def multi_palace(self) -> bool:
        if not hasattr(self, "_multi_palace"):
            user = self.request.user
            self._multi_palace = user.is_superuser or len(desk_palace_ids(user)) > 1
        return self._multi_palace

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["palaces"] = desk_palaces(self.request.user) if self.multi_palace else None
        kwargs["palace_field"] = self.palace_field
        return kwargs

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        if not self.multi_palace and "palace" in self.table_class.base_columns:
            kwargs["exclude"] = tuple(kwargs.get("exclude", ())) + ("palace",)
        return kwargs

    def get_export_filename(self, export_format):
        self.export_name = self.export_name if self.export_name != "export" else self.slug
        return super().get_export_filename(export_format)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["description"] = self.description
        ctx["result_count"] = ctx["table"].paginator.count if getattr(ctx["table"], "paginator", None) else None
        return ctx
