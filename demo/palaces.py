"""Demo palaces and staff logins (seed_demo). Idempotent: existing rows are left alone."""

from django.db import transaction

from core import services
from core.models import Palace, Role, User

DEMO_PASSWORD = "hezuo-demo"  # noqa: S105  (documented in the README; demo only)

PALACES = [
    {
        "code": "wenshang",
        "name": "汶上县工人文化宫",
        "level": Palace.Level.COUNTY,
        "federation": "汶上县总工会",
        "address": "山东省济宁市汶上县",
        "phone": "0537-7212345",
    },
    {
        "code": "foshan",
        "name": "佛山市工人文化宫",
        "level": Palace.Level.CITY,
        "federation": "佛山市总工会",
        "address": "广东省佛山市禅城区",
        "phone": "0757-83312345",
    },
]

STAFF = [
    ("ws-admin", "王建国", "wenshang", [Role.ADMIN]),
    ("ws-admin2", "颜丽", "wenshang", [Role.ADMIN]),  # approves score corrections ws-admin requests
    *[
        (f"ws-eval{i}", name, "wenshang", [Role.EVALUATOR])
        for i, name in enumerate(["刘芳", "陈明", "赵丽", "孙强", "周敏", "郑洁"], start=1)
    ],
    ("ws-auditor", "吴审计", "wenshang", [Role.AUDITOR]),
    ("fs-admin", "黄志华", "foshan", [Role.ADMIN]),
    *[
        (f"fs-eval{i}", name, "foshan", [Role.EVALUATOR])
        for i, name in enumerate(["梁嘉欣", "何伟", "罗晓婷"], start=1)
    ],
    ("fs-auditor", "冯审计", "foshan", [Role.AUDITOR]),
]


@transaction.atomic
def seed_core(stdout=None) -> User:
    root = User.objects.filter(username="admin").first()
    if root is None:
        root = User.objects.create_superuser("admin", "admin@hezuo.example.cn", DEMO_PASSWORD, full_name="系统管理员")
    palaces = {}
    for data in PALACES:
        palace = Palace.objects.filter(code=data["code"]).first()
        palaces[data["code"]] = palace or services.palace_create(actor=root, **data)
    for username, full_name, code, roles in STAFF:
        user = User.objects.filter(username=username).first() or services.user_create(
            actor=root,
            username=username,
            full_name=full_name,
            email=f"{username}@hezuo.example.cn",
            password=DEMO_PASSWORD,
        )
        for role in roles:
            services.membership_grant(actor=root, user=user, palace=palaces[code], role=role)
    auditor = User.objects.filter(username="prov-auditor").first() or services.user_create(
        actor=root,
        username="prov-auditor",
        full_name="省总工会审计",
        email="prov-auditor@hezuo.example.cn",
        password=DEMO_PASSWORD,
    )
    for palace in palaces.values():
        services.membership_grant(actor=root, user=auditor, palace=palace, role=Role.AUDITOR)
    return root
