"""Rows for the public notices and the provider's side of a recruitment (apply, withdraw, object).

Sealing is the point of most rows: provider B, staff of either palace and even the
superuser are refused provider A's application and its documents while the
recruitment is open. Objection attachments go to the objecting provider and the
palace's administrators and auditors.
"""

from tests.authz import ALL, LOGIN, Check, E, foundation, url

ROWS: dict[str, list[Check]] = {
    "notices": [Check(url("notices"), ALL(200))],
    "notice_detail": [
        Check(url("notice_detail", lambda w: w.recruitment.pk), ALL(200)),
        Check(url("notice_detail", lambda w: w.publicised.pk), ALL(200)),
        Check(url("notice_detail", lambda w: w.draft.pk), ALL(404)),
    ],
    "portal:recruitments": [
        Check(url("portal:recruitments"), E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403)),
    ],
    "portal:applications": [
        Check(url("portal:applications"), E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403)),
    ],
    "portal:apply": [
        Check(
            url("portal:apply", lambda w: w.recruitment.pk),
            E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403),
        ),
        Check(
            url("portal:apply", lambda w: w.draft.pk),
            E(LOGIN, 404, 403, 403, 403, 403, 404, 403, 403),
        ),
        # An empty form is refused on the page, and nothing is written.
        Check(
            url("portal:apply", lambda w: w.recruitment.pk),
            E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403),
            "post",
        ),
    ],
    "portal:application_detail": [
        Check(
            url("portal:application_detail", lambda w: w.application.pk),
            E(LOGIN, 403, 403, 403, 403, 403, 200, 403, 403),
        ),
    ],
    "portal:application_withdraw": [
        Check(
            url("portal:application_withdraw", lambda w: w.application.pk),
            E(LOGIN, 405, 403, 403, 403, 403, 405, 403, 403),
        ),
        Check(
            url("portal:application_withdraw", lambda w: w.application.pk),
            E(LOGIN, 403, 403, 403, 403, 403, 302, 403, 403),
            "post",
        ),
    ],
    "portal:objection_lodge": [
        # Provider B did not apply: the page says so and offers no form.
        Check(
            url("portal:objection_lodge", lambda w: w.publicised.pk),
            E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403),
        ),
        Check(
            url("portal:objection_lodge", lambda w: w.publicised.pk),
            E(LOGIN, 200, 403, 403, 403, 403, 302, 403, 403),
            "post",
            {"grounds": "评分有误"},
        ),
    ],
}

# The download URL's row belongs to the foundation; these add its checks for this area's files.
APPLICATION_FILE_CHECKS = [
    Check(
        url("file_download", lambda w: w.application_file.pk),
        E(LOGIN, 403, 403, 403, 403, 403, 200, 403, 403),
    ),
    Check(
        url("file_download", lambda w: w.objection_file.pk),
        E(LOGIN, 403, 403, 403, 403, 200, 200, 200, 200),
    ),
]
if APPLICATION_FILE_CHECKS[0] not in foundation.ROWS["file_download"]:
    foundation.ROWS["file_download"].extend(APPLICATION_FILE_CHECKS)


def build(world) -> None:
    from procurement import services
    from tests.factories import ProviderFactory, provider_user
    from tests.procurement.applying_support import apply, into_publicity, pdf, published_recruitment

    admin, provider_a = world.users["admin"], world.users["provider_a"]
    world.recruitment = published_recruitment(admin, world.wenshang, project=world.project)
    world.application = apply(provider_a, world.recruitment)
    world.application_file = world.application.documents.first().file

    world.draft = services.recruitment_create(
        actor=admin,
        project=world.project,
        title="草稿招募",
        deadline=world.recruitment.deadline,
        criteria=[],
    )

    world.publicised = published_recruitment(admin, world.wenshang, title="职工健康讲座招募")
    rival = provider_user(ProviderFactory(palace=world.wenshang, verified=True, name="汶上县红十字培训站"))
    ranking = [
        (apply(provider_a, world.publicised), "88.50"),
        (apply(rival, world.publicised), "80.25"),
    ]
    into_publicity(world.publicised, ranking)
    objection = services.objection_lodge(
        actor=provider_a,
        recruitment=world.publicised,
        grounds="报价计算有误",
        attachments=[pdf("质疑函.pdf")],
    )
    world.objection_file = objection.attachments.get()
