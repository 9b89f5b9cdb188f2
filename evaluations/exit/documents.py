"""The exit notice (退出合作通知书), issued once when an exit commits.

Issued documents are always Chinese and immutable, so their wording is written here in Chinese.
"""

from django.db import transaction
from django.utils import timezone

from contracts.models import Milestone
from core.documents import DOCUMENT_TZ, document_issue, documents_for_subject
from core.errors import NotPermitted
from core.models import IssuedDocument, Role, User
from core.permissions import has_role
from evaluations.exit.models import Exit, HandoverItem
from evaluations.final.documents import _money, _orders, _person, _when
from evaluations.standing.documents import _pts
from procurement.documents import CATEGORY_LABELS

EXIT_TEMPLATE = "evaluations/pdf/exit_notice.html"


EXIT_TITLE = "退出合作通知书"


HANDOVER_LABELS = {  # (the item, what handing it over means)
    HandoverItem.Kind.PARTICIPANTS: (
        "服务对象名册及服务记录",
        "移交参与服务的职工名册、签到表及服务台账（纸质及电子版）",
    ),
    HandoverItem.Kind.KEYS: ("钥匙及门禁卡", "交还服务场地的钥匙、门禁卡"),
    HandoverItem.Kind.EQUIPMENT: ("设备及物资", "交还本单位提供的设备、物资，双方当面清点"),
    HandoverItem.Kind.SESSIONS: ("未完成的服务场次", "列明尚未开展的课程、活动及已报名职工，移交课程表"),
}


MILESTONE_CONDITIONS = {
    Milestone.Condition.ON_SIGNING: "协议签订后",
    Milestone.Condition.MID_TERM: "合作期中期，且无未完成的整改",
    Milestone.Condition.FINAL_RATING: "终期评价合格及以上",
}


def _milestones(exit_: Exit) -> list[dict]:
    rows = []
    for m in exit_.contract.milestones.order_by("position"):
        if m.released_at:
            state = f"已支付（{timezone.localtime(m.released_at, DOCUMENT_TZ):%Y-%m-%d}）"
        else:
            state = "不予支付" if m.pk == exit_.withheld_milestone_id else "未支付"
        rows.append(
            {
                "position": m.position,
                "condition": MILESTONE_CONDITIONS.get(m.condition, m.condition),
                "percent": f"{m.percent.normalize():f}",
                "amount": _money(m.amount),
                "state": state,
                "withheld": m.pk == exit_.withheld_milestone_id,
            }
        )
    return rows


def _exit_trail(exit_: Exit) -> list[dict]:
    evaluation, review = exit_.final_evaluation, exit_.termination_review
    if evaluation is not None:
        rows = [
            {
                "step": "终期评价审定签发（评价为差）",
                "who": _person(evaluation.signed_off_by),
                "when": _when(evaluation.signed_off_at),
            },
            {
                "step": "复核确认（由另一名管理员确认）",
                "who": _person(evaluation.confirmed_by),
                "when": _when(evaluation.confirmed_at),
            },
        ]
    else:
        rows = [
            {
                "step": f"同一合作期内第 {review.failed_orders.count()} 次整改不合格，启动提前终止审查",
                "who": "系统",
                "when": _when(review.opened_at),
            },
            {"step": "决定提前终止合作", "who": _person(review.decided_by), "when": _when(review.decided_at)},
        ]
    rows.append({"step": "解除合作协议，签发本通知", "who": _person(exit_.created_by), "when": _when(exit_.created_at)})
    return rows


def _exit_context(exit_: Exit) -> dict:
    contract = exit_.contract
    evaluation, review = exit_.final_evaluation, exit_.termination_review
    milestone = exit_.withheld_milestone
    failed = []
    if review is not None:
        failed = [o for o in _orders(contract) if o["failed"]]
    return {
        "exit": exit_,
        "contract": contract,
        "provider": contract.provider,
        "category": CATEGORY_LABELS.get(contract.project.category, contract.project.category),
        "amount": _money(contract.amount),
        "effective": timezone.localtime(exit_.created_at, DOCUMENT_TZ).date(),
        "evaluation": evaluation,
        "total": _pts(evaluation.total) if evaluation is not None else "",
        "finalised": _when(evaluation.finalised_at) if evaluation is not None else "",
        "review": review,
        "decided": _when(review.decided_at) if review is not None else "",
        "failed_orders": failed,
        "withheld": (
            {
                "position": milestone.position,
                "amount": _money(milestone.amount),
                "percent": f"{milestone.percent.normalize():f}",
            }
            if milestone is not None
            else None
        ),
        "milestones": _milestones(exit_),
        "exclusion": exit_.exclusion,
        "excluding_palace": exit_.exclusion.palace.name,
        "retender": exit_.retender,
        "handover": [
            {"label": HANDOVER_LABELS[i.kind][0], "what": HANDOVER_LABELS[i.kind][1]}
            for i in exit_.handover_items.order_by("pk")
        ],
        "trail": _exit_trail(exit_),
    }


@transaction.atomic
def issue_exit_notice(*, exit_: Exit, actor: User | None = None) -> IssuedDocument:
    """Issue the exit notice (退出合作通知书) of an exit, once.

    Called on commit of ``exit_open``. It tells the provider why the partnership ends and from
    when, the withheld payment, the exclusion and until when, the handover to do and the
    re-tender. Idempotent like the assessment report: the exit row is locked, and a notice
    already issued is returned, so a retried or doubled call never issues two.
    """
    exit_ = (
        Exit.objects.select_for_update(of=("self",))
        .select_related(
            "contract__palace",
            "contract__provider",
            "contract__project",
            "final_evaluation__signed_off_by",
            "final_evaluation__confirmed_by",
            "termination_review__decided_by",
            "exclusion__palace",
            "withheld_milestone",
            "retender",
            "created_by",
        )
        .get(pk=exit_.pk)
    )
    contract = exit_.contract
    if actor is not None and not (actor.is_superuser or has_role(actor, contract.palace_id, Role.ADMIN)):
        raise NotPermitted
    issued = documents_for_subject(exit_).filter(kind=IssuedDocument.Kind.EXIT_NOTICE).first()
    if issued is not None:
        return issued
    return document_issue(
        actor=actor,
        kind=IssuedDocument.Kind.EXIT_NOTICE,
        subject=exit_,
        palace=contract.palace,
        title=f"{EXIT_TITLE}（{contract.number} {contract.provider.name}）",
        template=EXIT_TEMPLATE,
        context=_exit_context(exit_),
    )
