"""The standard inspection checklists, one per service category, as data.

A palace starts from these (the checklist page's "add the standard checklists" button,
and the demo) and adapts them by creating its own. They are the palace's records once
created, so their text is Chinese, as the palace writes it, not a translatable string.
Each checklist's weights add up to 100.
"""

from decimal import Decimal

from django.db import transaction

from core.models import Palace, User
from evaluations.realtime.models import ChecklistTemplate
from evaluations.realtime.services import inspections as services
from procurement.models import ServiceCategory

STANDARD_CHECKLISTS: dict[str, tuple[str, list[tuple[str, int]]]] = {
    ServiceCategory.TRAINING: (
        "培训服务现场检查表",
        [
            ("师资到位，按课表准时授课", 25),
            ("教学内容与合同约定一致，教材讲义齐备", 20),
            ("场地安全，消防通道畅通，安全提示到位", 20),
            ("签到记录真实完整，与实到人数相符", 20),
            ("学员秩序良好，现场反馈满意", 15),
        ],
    ),
    ServiceCategory.CULTURE: (
        "文化活动现场检查表",
        [
            ("活动按计划开展，内容健康向上", 25),
            ("组织人员到岗到位，分工明确", 20),
            ("场地、舞台和器材安全可靠", 20),
            ("签到与影像记录真实完整", 20),
            ("职工参与度高，现场反响良好", 15),
        ],
    ),
    ServiceCategory.SPORTS: (
        "体育健身服务现场检查表",
        [
            ("教练员持证上岗，按时到岗", 25),
            ("器材完好，运动场地安全", 25),
            ("安全防护与应急预案落实", 20),
            ("签到记录真实完整", 15),
            ("免费项目未向职工收取费用", 15),
        ],
    ),
    ServiceCategory.HEALTH: (
        "健康服务现场检查表",
        [
            ("医护和咨询人员具备相应资质", 25),
            ("服务流程规范，职工隐私保护到位", 20),
            ("场地卫生整洁，器械按规定消毒", 20),
            ("服务记录真实完整", 20),
            ("职工反馈及时处理，需转介的有跟进", 15),
        ],
    ),
    ServiceCategory.LEGAL_AID: (
        "法律援助服务现场检查表",
        [
            ("律师或法律工作者按排班到岗", 25),
            ("咨询答复准确，依法依规", 25),
            ("来访登记与案件台账完整", 20),
            ("为当事人保密，隐私保护到位", 15),
            ("服务态度良好，职工满意", 15),
        ],
    ),
    ServiceCategory.OTHER: (
        "综合服务现场检查表",
        [
            ("服务按合同约定的内容和频次开展", 30),
            ("服务人员到岗到位", 20),
            ("场地与人员安全", 20),
            ("服务记录和台账真实完整", 15),
            ("职工反馈良好", 15),
        ],
    ),
}


@transaction.atomic
def ensure_default_checklists(palace: Palace, actor: User) -> list[ChecklistTemplate]:
    """Create the standard checklist of each service category for which the palace has none yet.

    Goes through ``services.checklist_create``, so the actor must be the palace's
    administrator and each creation is audited. Returns the checklists created.
    """
    have = set(ChecklistTemplate.objects.filter(palace=palace).values_list("category", flat=True))
    created = []
    for category, (name, items) in STANDARD_CHECKLISTS.items():
        if category in have:
            continue
        created.append(
            services.checklist_create(
                actor=actor,
                palace_id=palace.pk,
                category=category,
                name=name,
                items=[services.ChecklistItemInput(text, Decimal(weight)) for text, weight in items],
            )
        )
    return created
