"""The desk's documents table: every PDF issued in the palaces a user audits or runs.

Each row downloads its PDF (``document_download``) and opens its public verification page
(``verify_document``); the filtered rows can also be taken away as one ZIP with a manifest
(``core.views_desk_zip``). The subject column links to the record the document is about.
"""

import re
import uuid

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .desk import DeskFilterSet, DeskTableView
from .documents import normalise_key, verification_code
from .models import IssuedDocument
from .registry import object_url, register_desk_table

NOWRAP = {"td": {"class": "hz-nowrap"}}
CODE = re.compile(r"[0-9a-f]{32}")  # a verification code (the document's UUID)
HASH_PREFIX = re.compile(r"[0-9a-f]{8,64}")  # a SHA-256, whole or as shortened in the table

# Titles name their subject in full-width brackets: 服务机构登记核验证明（汶上县心理学会）.
_SUBJECT_IN_TITLE = re.compile(r"（([^（）]+)）\s*$")


def subject_label(doc: IssuedDocument) -> str:
    """What the document is about, readable without a query: the bracketed end of its title."""
    found = _SUBJECT_IN_TITLE.search(doc.title)
    return found.group(1).strip() if found else doc.title


def subject_url(doc: IssuedDocument) -> str:
    """The subject's page, or "" when it has none (needs ``content_type`` selected with the row).

    Core imports no domain app: each registers the pages of its objects, from the document's
    ``object_id`` alone (``core.registry.register_object_url``), the same pages the audit trail
    links to. A monthly summary's page would be its contract's, which the row does not carry: its
    subject has no page, so no link (the title names the contract). A page that stops resolving
    drops the link, never the table."""
    model = doc.content_type.model_class()
    return object_url(model._meta.label, doc.object_id) if model is not None else ""


class DocumentDeskTable(tables.Table):
    title = tables.Column(_("Title"), attrs={"td": {"class": "hz-name"}})
    kind = tables.Column(_("Kind"))
    version = tables.Column(_("Version"), attrs=NOWRAP)
    subject = tables.Column(
        _("Object"),
        accessor="title",
        empty_values=(),
        order_by=("content_type", "object_id"),
        attrs={"td": {"class": "hz-name"}},
    )
    palace = tables.Column(_("Palace"), accessor="palace__name", order_by=("palace__name",))
    issued_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("Issued at"), attrs=NOWRAP)
    issued_by = tables.Column(_("Issued by"), accessor="issued_by__full_name", order_by=("issued_by__full_name",))
    size = tables.Column(_("Size"), attrs=NOWRAP)
    sha256 = tables.Column(_("SHA-256"))
    # Not NOWRAP: the position and the hash may stack, or the title and object columns get squeezed.
    chain = tables.Column(_("Audit chain at issue"), accessor="chain_seq", order_by=("chain_seq",), default="—")
    download = tables.Column(_("Download"), accessor="pk", orderable=False, exclude_from_export=True)
    verify = tables.Column(_("Verification"), accessor="pk", orderable=False, exclude_from_export=True)

    class Meta:
        model = IssuedDocument
        fields = [
            "title",
            "kind",
            "version",
            "subject",
            "palace",
            "issued_at",
            "issued_by",
            "size",
            "sha256",
            "chain",
            "download",
            "verify",
        ]
        order_by = ["-issued_at"]
        empty_text = _("No documents.")

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record):
        return str(record.get_kind_display())

    def render_version(self, record):
        return f"v{record.version}"

    def value_version(self, record):
        return record.version

    def render_subject(self, record):
        url = subject_url(record)
        label = subject_label(record)
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    def value_subject(self, record):
        return subject_label(record)

    def value_issued_by(self, record):
        return record.issued_by.full_name if record.issued_by_id else ""

    def render_size(self, record):
        return filesizeformat(record.size)

    def value_size(self, record):
        return str(filesizeformat(record.size))

    def render_sha256(self, record):
        return format_html('<span class="hz-mono hz-small" title="{}">{}…</span>', record.sha256, record.sha256[:12])

    def render_chain(self, record):
        """The position and head hash the PDF prints, which ``verify_audit --against`` checks."""
        return format_html(
            '#{} <span class="hz-mono hz-small" title="{}">{}…</span>',
            record.chain_seq,
            record.chain_hash,
            record.chain_hash[:12],
        )

    def value_chain(self, record):
        return f"{record.chain_seq} {record.chain_hash}"

    def render_download(self, record):
        return format_html(
            '<a href="{}" data-turbo="false">{}</a>', reverse("document_download", args=[record.pk]), _("PDF")
        )

    def render_verify(self, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("verify_document", args=[verification_code(record.pk)]),
            _("Verification page"),
        )


class DocumentDeskFilter(DeskFilterSet):
    search_fields = ("title",)
    date_field = "issued_at__date"
    date_from_label = _("Issued from")
    date_to_label = _("Issued to")

    status = django_filters.ChoiceFilter(
        label=_("Kind"), field_name="kind", choices=IssuedDocument.Kind.choices, empty_label=_("All")
    )

    class Meta:
        model = IssuedDocument
        fields = ["q", "date_from", "date_to", "status", "palace"]

    def search(self, queryset, name, value):
        """The title, or a SHA-256 or verification code typed or pasted in any case, spaced or dashed."""
        key = normalise_key(value)
        if HASH_PREFIX.fullmatch(key):
            found = Q(sha256__startswith=key) | Q(title__icontains=value.strip())
            if CODE.fullmatch(key):
                found |= Q(pk=uuid.UUID(hex=key))
            return queryset.filter(found)
        return super().search(queryset, name, value)


@register_desk_table
class DocumentDeskView(DeskTableView):
    slug = "documents"
    page_title = _("Issued documents")
    description = _(
        "Every PDF issued in your palaces: certificates, reports, notices and summaries. Download one, "
        "check it, or take the filtered documents as a ZIP with a manifest of their SHA-256."
    )
    icon = "picture_as_pdf"
    order = 100
    template_name = "core/desk/documents.html"
    table_class = DocumentDeskTable
    filterset_class = DocumentDeskFilter
    palace_field = "palace"

    def base_queryset(self):
        return IssuedDocument.objects.select_related("palace", "issued_by", "content_type")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        for key in ("page", "sort", "_export"):
            query.pop(key, None)
        ctx["zip_url"] = reverse("desk:documents_zip") + (f"?{query.urlencode()}" if query else "")
        return ctx
