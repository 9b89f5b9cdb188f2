"""Rows for the foundation: accounts, public pages, documents, files, workbench, providers, projects."""

from tests.authz import ALL, AUTHED, LOGIN, Check, E, url

ROWS: dict[str, list[Check]] = {
    # public and account pages
    "home": [Check(url("home"), ALL(302))],
    "index": [Check(url("index"), ALL(302))],
    "login": [Check(url("login"), ALL(200))],
    "logout": [Check(url("logout"), ALL(405)), Check(url("logout"), ALL(LOGIN), "post")],
    "password_change": [Check(url("password_change"), AUTHED(200))],
    "password_change_done": [Check(url("password_change_done"), AUTHED(200))],
    "password_reset": [Check(url("password_reset"), ALL(200))],
    "password_reset_done": [Check(url("password_reset_done"), ALL(200))],
    "password_reset_confirm": [Check(url("password_reset_confirm", "MQ", "bad-token"), ALL(200))],
    "password_reset_complete": [Check(url("password_reset_complete"), ALL(200))],
    "set_language": [Check(url("set_language"), ALL(302), "post", {"language": "en", "next": "/"})],
    "javascript-catalog": [Check(url("javascript-catalog"), ALL(200))],
    "healthz": [Check(url("healthz"), ALL(200))],
    "provider_signup": [Check(url("provider_signup"), {**ALL(302), "anon": 200})],
    "provider_signup_done": [Check(url("provider_signup_done"), ALL(200))],
    # documents and files
    "verify_upload": [Check(url("verify_upload"), ALL(200))],
    "verify_document": [
        Check(url("verify_document", lambda w: w.document.sha256), ALL(200)),
        Check(url("verify_document", "0" * 64), ALL(404)),
    ],
    "document_download": [
        Check(url("document_download", lambda w: w.document.pk), E(LOGIN, 403, 403, 403, 403, 200, 200, 200, 200)),
    ],
    "file_download": [
        Check(url("file_download", lambda w: w.licence.pk), E(LOGIN, 403, 403, 403, 403, 200, 200, 200, 200)),
    ],
    # workbench
    "workbench:index": [Check(url("workbench:index"), AUTHED(200))],
    "workbench:notifications": [Check(url("workbench:notifications"), AUTHED(200))],
    "workbench:notifications_read_all": [Check(url("workbench:notifications_read_all"), AUTHED(302), "post")],
    "workbench:notification_read": [
        Check(
            url("workbench:notification_read", lambda w: w.notification.pk),
            E(LOGIN, 404, 404, 404, 404, 404, 302, 404, 404),
            "post",
        ),
    ],
    "workbench:login_locks": [Check(url("workbench:login_locks"), E(LOGIN, 403, 200, 403, 403, 403, 403, 200, 200))],
    "workbench:login_lock_clear": [
        Check(url("workbench:login_lock_clear", lambda w: w.users["evaluator"].pk), ALL(405)),
        Check(
            url("workbench:login_lock_clear", lambda w: w.users["evaluator"].pk),
            E(LOGIN, 403, 404, 403, 403, 403, 403, 302, 302),
            "post",
        ),
    ],
    # provider portal
    "portal:index": [Check(url("portal:index"), E(302, 302, 403, 403, 403, 403, 302, 403, 403))],
    "portal:organisation": [Check(url("portal:organisation"), E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403))],
    "portal:organisation_edit": [
        Check(url("portal:organisation_edit"), E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403)),
    ],
    "portal:organisation_documents": [
        Check(url("portal:organisation_documents"), E(LOGIN, 405, 403, 403, 403, 403, 405, 403, 403)),
        Check(url("portal:organisation_documents"), E(LOGIN, 302, 403, 403, 403, 403, 302, 403, 403), "post"),
    ],
    "portal:organisation_resubmit": [
        Check(url("portal:organisation_resubmit"), E(LOGIN, 302, 403, 403, 403, 403, 302, 403, 403), "post"),
    ],
    # the contracts and evaluation apps' roots send each user to the first page of the menu they may see
    "contracts:index": [Check(url("contracts:index"), E(302, 302, 302, 302, 302, 302, 302, 302, 302))],
    "evaluations:index": [Check(url("evaluations:index"), E(302, 302, 302, 302, 302, 302, 302, 302, 302))],
    # staff: providers and service projects
    "procurement:index": [Check(url("procurement:index"), E(302, 403, 302, 302, 302, 302, 403, 302, 302))],
    "procurement:provider_list": [
        Check(url("procurement:provider_list"), E(LOGIN, 403, 200, 200, 403, 200, 403, 200, 200)),
    ],
    "procurement:provider_detail": [
        Check(
            url("procurement:provider_detail", lambda w: w.provider_a.pk),
            E(LOGIN, 403, 403, 403, 403, 200, 403, 200, 200),
        ),
        Check(
            url("procurement:provider_detail", lambda w: w.pending.pk),
            E(LOGIN, 403, 403, 403, 403, 403, 403, 302, 403),
            "post",
            {"decision": "verify"},
        ),
    ],
    "procurement:project_list": [
        Check(url("procurement:project_list"), E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 200)),
    ],
    "procurement:project_create": [
        Check(url("procurement:project_create"), E(LOGIN, 403, 200, 403, 403, 403, 403, 200, 403)),
    ],
    "procurement:project_detail": [
        Check(
            url("procurement:project_detail", lambda w: w.project.pk), E(LOGIN, 403, 403, 403, 200, 200, 403, 200, 200)
        ),
    ],
    "procurement:project_edit": [
        Check(
            url("procurement:project_edit", lambda w: w.project.pk), E(LOGIN, 403, 403, 403, 403, 403, 403, 200, 403)
        ),
    ],
}


def build(world) -> None:
    """The foundation's objects are made by the matrix's own fixture."""
