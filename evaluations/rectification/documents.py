"""The rectification notice (整改通知书) of every order, issued when the order is.

Issued documents are always Chinese and immutable, so their wording is written here in Chinese.
"""

from django.db import transaction
from django.utils import timezone

from core.documents import DOCUMENT_TZ, document_issue
from core.models import IssuedDocument
from evaluations.rectification.models import RectificationOrder

NOTICE_TEMPLATE = "evaluations/pdf/rectification_notice.html"


NOTICE_TITLE = "限期整改通知书"


TRIGGER_LABELS = {
    RectificationOrder.Trigger.SCORE: "月度实时评价得分低于 60 分",
    RectificationOrder.Trigger.RED_LINE: "发生红线事件",
}


def _notice_context(order: RectificationOrder) -> dict:
    contract = order.contract
    return {
        "order": order,
        "contract": contract,
        "provider": contract.provider,
        "trigger": TRIGGER_LABELS[order.trigger],
        "month": order.period.month,
        "findings": list(order.findings.all()),
        "issued_on": timezone.localtime(order.issued_at, DOCUMENT_TZ),
    }


@transaction.atomic
def issue_rectification_notice(*, order: RectificationOrder) -> IssuedDocument:
    """Issue the notice of an order: its findings, its deadline and what happens if it is missed."""
    order = RectificationOrder.objects.select_related(
        "contract__palace", "contract__provider", "contract__project", "period", "red_line"
    ).get(pk=order.pk)
    return document_issue(
        actor=None,
        kind=IssuedDocument.Kind.RECTIFICATION_NOTICE,
        subject=order,
        palace=order.contract.palace,
        title=f"{NOTICE_TITLE}（{order.number}）",
        template=NOTICE_TEMPLATE,
        context=_notice_context(order),
    )
