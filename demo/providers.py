"""Demo providers and service projects (seed_demo), written through the services."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from core.models import Palace, Role, User
from demo.palaces import DEMO_PASSWORD
from procurement.credit_code import make_credit_code
from procurement.models import (
    KpiMetric,
    Provider,
    ProviderDocument,
    ServiceCategory,
    ServiceProject,
)
from procurement.services import providers

# A minimal but well-formed PDF standing in for a scanned business licence.
DEMO_LICENCE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

C = ServiceCategory
# username, organisation, palace, categories, status, 17-character code body
PROVIDERS = [
    ("provider1", "汶上县心理学会", "wenshang", [C.HEALTH], "verified", "51370830MJD000001"),
    ("provider2", "筑安技术培训中心", "wenshang", [C.TRAINING], "verified", "52370830MJD000002"),
    ("provider3", "安泰培训学校", "wenshang", [C.TRAINING], "verified", "52370830MJD000003"),
    ("provider4", "汶上县家政服务协会", "wenshang", [C.TRAINING, C.OTHER], "verified", "51370830MJD000004"),
    ("provider5", "济宁智联电子商务职业培训学校", "wenshang", [C.TRAINING], "verified", "52370800MJD000005"),
    ("provider6", "汶上县书法家协会", "wenshang", [C.CULTURE], "verified", "51370830MJD000006"),
    ("provider7", "汶上县羽毛球运动协会", "wenshang", [C.SPORTS], "verified", "51370830MJD000007"),
    ("provider8", "汶上县普法志愿服务中心", "wenshang", [C.LEGAL_AID], "pending", "52370830MJD000008"),
    ("provider9", "佛山市禅城区新城社会工作服务中心", "foshan", [C.CULTURE, C.OTHER], "verified", "52440604MJL000009"),
    ("provider10", "佛山市粤韵文化艺术培训中心", "foshan", [C.CULTURE, C.TRAINING], "pending", "52440604MJL000010"),
]

# palace, name, category, budget, term, sessions, visits, description
PROJECTS = [
    ("wenshang", "健康体检", C.HEALTH, "180000", 12, 24, 2400, "为一线职工提供年度健康体检与健康讲座。"),
    ("wenshang", "电子商务培训", C.TRAINING, "96000", 12, 24, 720, "面向农民工和下岗职工的电商创业实操培训。"),
    ("wenshang", "家政培训", C.TRAINING, "88000", 12, 24, 600, "育婴、养老护理与家政服务技能培训，结业推荐就业。"),
    ("wenshang", "经典诵读", C.CULTURE, "36000", 12, 24, 1200, "职工经典诵读与朗诵比赛。"),
    ("wenshang", "惠工影院", C.CULTURE, "60000", 12, 48, 4800, "每周公益电影放映，职工凭卡免费观影。"),
    ("wenshang", "羽毛球公益培训", C.SPORTS, "42000", 12, 36, 900, "零基础与提高班羽毛球训练。"),
    ("wenshang", "职工心理健康", C.HEALTH, "72000", 12, 24, 800, "心理讲座、团体辅导与一对一咨询。"),
    ("wenshang", "工创圆梦", C.TRAINING, "120000", 12, 12, 360, "职工创新创业辅导与项目路演。"),
    ("wenshang", "法律援助咨询", C.LEGAL_AID, "48000", 12, 48, 480, "劳动争议咨询、普法讲座与代写文书。"),
    ("wenshang", "书法公益课堂", C.CULTURE, "30000", 12, 36, 720, "软笔、硬笔书法基础课程。"),
    ("wenshang", "职工太极拳", C.SPORTS, "24000", 12, 48, 1440, "晨练太极拳教学与展演。"),
    ("wenshang", "育婴师培训", C.TRAINING, "66000", 6, 12, 300, "育婴员职业技能等级培训。"),
    ("foshan", "粤剧兴趣班", C.CULTURE, "90000", 12, 48, 1440, "粤剧唱腔与身段入门。"),
    ("foshan", "职工合唱团", C.CULTURE, "54000", 12, 48, 1920, "合唱排练与节庆演出。"),
    ("foshan", "篮球训练营", C.SPORTS, "78000", 12, 36, 1080, "职工篮球技术训练与联赛。"),
    ("foshan", "插花艺术", C.CULTURE, "28000", 12, 24, 480, "花艺基础与节令插花。"),
    ("foshan", "职工读书会", C.CULTURE, "20000", 12, 24, 600, "每月主题读书分享。"),
    ("foshan", "新城影院放映", C.CULTURE, "96000", 12, 96, 4608, "新城分宫48座影院公益放映。"),
    ("foshan", "舞蹈培训", C.SPORTS, "64000", 12, 48, 1440, "民族舞与现代舞基础班。"),
    ("foshan", "职工子女暑期托管", C.OTHER, "150000", 3, 40, 2000, "暑期职工子女托管与兴趣课程。"),
    ("foshan", "摄影培训", C.TRAINING, "45000", 12, 24, 480, "手机与单反摄影基础。"),
    ("foshan", "职工法律服务站", C.LEGAL_AID, "56000", 12, 48, 600, "劳动法律咨询与调解。"),
]


@transaction.atomic
def seed_procurement(root: User) -> None:
    palaces = {p.code: p for p in Palace.objects.all()}
    for username, name, palace_code, cats, status, body in PROVIDERS:
        code = make_credit_code(body)
        provider = Provider.objects.filter(credit_code=code).first()
        if provider is None:
            provider = providers.provider_register(
                username=username,
                password=DEMO_PASSWORD,
                email=f"{username}@hezuo.example.cn",
                full_name=f"{name}联系人",
                palace=palaces[palace_code],
                name=name,
                credit_code=code,
                legal_representative="张" + name[-2:],
                contact_name=f"{name[:2]}联系人",
                contact_phone="0537-72"
                + code[-5:-1].translate(str.maketrans("ABCDEFGHJKLMNPQRTUWXY", "123456789012345678901")),
                contact_email=f"{username}@hezuo.example.cn",
                address=palaces[palace_code].address,
                categories=cats,
                documents=[
                    providers.DocumentUpload(
                        ProviderDocument.Kind.LICENCE,
                        SimpleUploadedFile("营业执照.pdf", DEMO_LICENCE, content_type="application/pdf"),
                    )
                ],
            )
        if status == "verified" and provider.status == Provider.Status.PENDING:
            admin = User.objects.get(
                memberships__palace=provider.palace, memberships__role=Role.ADMIN, username__endswith="-admin"
            )
            providers.provider_verify(actor=admin, provider=provider, reason="证照齐全，核验通过。")
    for palace_code, name, cat, budget, term, sessions, visits, description in PROJECTS:
        palace = palaces[palace_code]
        if ServiceProject.objects.filter(palace=palace, name=name).exists():
            continue
        admin = User.objects.get(memberships__palace=palace, memberships__role=Role.ADMIN, username__endswith="-admin")
        providers.service_project_create(
            actor=admin,
            palace=palace,
            name=name,
            category=cat,
            description=description,
            budget=Decimal(budget),
            term_months=term,
            kpi_targets=[
                providers.KpiTargetInput(KpiMetric.SESSIONS, Decimal(sessions), "场"),
                providers.KpiTargetInput(KpiMetric.PARTICIPANT_VISITS, Decimal(visits), "人次"),
                providers.KpiTargetInput(KpiMetric.SATISFACTION, Decimal(85), "%"),
            ],
        )
