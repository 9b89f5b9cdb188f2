"""PDF builders for procurement: template → HTML → WeasyPrint, through core's safe renderer and store."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.documents import DOCUMENT_TZ, document_issue
from core.errors import DomainError, NotPermitted
from core.models import IssuedDocument, Role, User
from core.permissions import has_role

from .models import Provider, ProviderDocument, ServiceCategory

CERTIFICATE_TEMPLATE = "procurement/pdf/provider_certificate.html"
CERTIFICATE_TITLE = "服务机构登记核验证明"
ERR_NOT_VERIFIED = _("Only a verified provider can be issued a registration certificate.")

# An issued PDF is immutable and always Chinese, so its wording must not hang on
# whether the .po catalogue has caught up; unknown values fall back to the model's label.
CATEGORY_LABELS = {
    ServiceCategory.TRAINING: "培训",
    ServiceCategory.CULTURE: "文化",
    ServiceCategory.SPORTS: "体育",
    ServiceCategory.HEALTH: "健康",
    ServiceCategory.LEGAL_AID: "法律援助",
    ServiceCategory.OTHER: "其他",
}
DOCUMENT_KIND_LABELS = {
    ProviderDocument.Kind.LICENCE: "营业执照或登记证书",
    ProviderDocument.Kind.QUALIFICATION: "资质证书",
    ProviderDocument.Kind.OTHER: "其他证明材料",
}


def _certificate_context(provider: Provider) -> dict:
    categories = [
        CATEGORY_LABELS.get(c.category, c.get_category_display())
        for c in sorted(provider.categories.all(), key=lambda c: ServiceCategory.values.index(c.category))
    ]
    documents = [
        {
            "kind": DOCUMENT_KIND_LABELS.get(d.kind, d.get_kind_display()),
            "name": d.file.original_name,
            "sha256_prefix": d.file.sha256[:16],
        }
        for d in sorted(provider.documents.all(), key=lambda d: (d.file.uploaded_at, d.pk))
    ]
    reviewed_at = provider.reviewed_at or timezone.now()
    return {
        "provider": provider,
        "categories": categories,
        "qualification_documents": documents,
        "verified_on": timezone.localtime(reviewed_at, DOCUMENT_TZ),
        "verifier": str(provider.reviewed_by) if provider.reviewed_by_id else "",
    }


@transaction.atomic
def issue_provider_certificate(*, actor: User, provider: Provider) -> IssuedDocument:
    """Issue the registration certificate (服务机构登记核验证明) of a verified provider.

    Preconditions: the provider is verified and ``actor`` administers its palace.
    Effect: the next version of the certificate is stored and audited.
    """
    provider = (
        Provider.objects.select_related("palace", "reviewed_by")
        .prefetch_related("categories", "documents__file")
        .get(pk=provider.pk)
    )
    if not (actor.is_superuser or has_role(actor, provider.palace_id, Role.ADMIN)):
        raise NotPermitted
    if provider.status != Provider.Status.VERIFIED:
        raise DomainError(ERR_NOT_VERIFIED)
    return document_issue(
        actor=actor,
        kind=IssuedDocument.Kind.PROVIDER_CERTIFICATE,
        subject=provider,
        palace=provider.palace,
        title=f"{CERTIFICATE_TITLE}（{provider.name}）",
        template=CERTIFICATE_TEMPLATE,
        context=_certificate_context(provider),
    )
