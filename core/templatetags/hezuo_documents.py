"""The documents issued about a record, on the record's page, for whoever may download them.

    {% load hezuo_documents %}
    {% issued_documents provider %}

For pages whose view does not already list them (a view that does keeps its own list).
"""

from django import template
from django.template.loader import render_to_string

from core.documents import can_download_document, documents_for_subject

register = template.Library()


@register.simple_tag(takes_context=True)
def issued_documents(context, subject):
    """A card of the PDFs issued about ``subject``, newest version first; nothing when there are none
    or the user may download none of them."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if subject is None or user is None or not user.is_authenticated:
        return ""
    documents = [d for d in documents_for_subject(subject) if can_download_document(user, d)]
    if not documents:
        return ""
    return render_to_string("core/includes/issued_documents.html", {"documents": documents}, request=request)
