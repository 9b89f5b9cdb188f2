"""The audit trail on the desk: labels, the events table, one event, the chain check, object histories."""

import ast
import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.text import capfirst

from core import audit
from core.audit_display import SYSTEM, object_type_label
from core.models import AuditEvent, AuditHead, Role
from core.registry import _action_labels, action_label
from evaluations.models import RectificationOrder
from procurement import services
from tests.contract_builders import draft_contract
from tests.factories import ProviderFactory, UserFactory, staff

pytestmark = pytest.mark.django_db

AUDIT = reverse("desk:table", args=["audit"])
VERIFY = reverse("desk:verify_chain")


def record(*, action, obj, palace, actor=None, before=None, after=None) -> AuditEvent:
    with transaction.atomic():
        return audit.record(actor=actor, action=action, obj=obj, palace=palace, before=before, after=after)


def body(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


# --- every recorded action has words ---------------------------------------------------------

APPS = ("core", "procurement", "contracts", "evaluations")
DOTTED = re.compile(r"^[a-z_]+\.[a-z_]+$")
# Places where ``action`` is not a literal, and why each is covered.
DYNAMIC = {
    ("core/audit.py", "action"),  # record() passes on its caller's action
    ("core/audit.py", "event.action"),  # the hash's payload
    ("procurement/services/panels.py", "action"),  # ask_justifications(): its callers pass literals
    ("contracts/services/lifecycle.py", "action"),  # _move(): its callers pass literals
    ("evaluations/rectification/services.py", "f'rectification.{order.state}'"),  # passed or failed
}


def recorded_actions() -> tuple[set[str], set[tuple[str, str]]]:
    """Every dotted action given as ``action=`` (or as ``"action":`` beside ``"obj":`` in a dict of
    audit.record's arguments) in the apps' code, and the expressions that are not literals."""
    root = Path(settings.BASE_DIR)
    codes, dynamic = set(), set()
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                values = []
                if isinstance(node, ast.keyword) and node.arg == "action":
                    values.append(node.value)
                elif isinstance(node, ast.Dict):  # keyword arguments gathered for audit.record(**event)
                    keys = {
                        k.value: v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)
                    }
                    if "action" in keys and "obj" in keys:
                        values.append(keys["action"])
                for value in values:
                    literals = [
                        n.value for n in ast.walk(value) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    ]
                    if isinstance(value, ast.JoinedStr) or not literals:
                        dynamic.add((path.relative_to(root).as_posix(), ast.unparse(value)))
                    else:
                        codes |= {s for s in literals if DOTTED.match(s)}
    return codes, dynamic


def test_every_action_recorded_in_the_code_has_a_translatable_label():
    codes, dynamic = recorded_actions()
    assert len(codes) > 80  # the scan found the services' actions
    assert {"contract.signed", "rating.submitted", "recruitment.closed", "score.correction_rejected"} <= codes
    assert dynamic <= DYNAMIC, f"a new computed action: label its values, then list it here: {dynamic - DYNAMIC}"
    codes |= {f"rectification.{state}" for state in (RectificationOrder.State.PASSED, RectificationOrder.State.FAILED)}
    unlabelled = sorted(c for c in codes if c not in _action_labels)
    assert not unlabelled, f"audit actions without a label (register_action_labels): {unlabelled}"
    assert all(isinstance(_action_labels[c], Promise) for c in codes)  # translatable, not a fixed string


def test_an_unknown_action_reads_as_its_code_rather_than_nothing():
    assert action_label("someone.invented") == "someone.invented"


# --- the events table ------------------------------------------------------------------------


@pytest.fixture
def trail(roles, wenshang, foshan):
    """Events of both palaces and one that belongs to no palace."""
    admin = roles["admin"]
    provider = roles["provider_a"].provider
    ours = record(
        action="provider.verified",
        obj=provider,
        palace=wenshang,
        actor=admin,
        before={"status": "pending"},
        after={"status": "verified"},
    )
    theirs_provider = ProviderFactory(palace=foshan, name="佛山市启航社工服务中心")
    theirs = record(
        action="provider.rejected",
        obj=theirs_provider,
        palace=foshan,
        actor=roles["other_admin"],
        before={"status": "pending"},
        after={"status": "rejected"},
    )
    hostile = ProviderFactory(palace=wenshang, name='=HYPERLINK("http://x","y")')
    trap = record(action="provider.registered", obj=hostile, palace=wenshang, after={"name": hostile.name})
    system = record(action="user.created", obj=UserFactory(username="t-new-user"), palace=None)
    return {"ours": ours, "theirs": theirs, "trap": trap, "system": system, "provider": provider}


def test_auditor_reads_the_events_of_their_palace_in_words_not_codes(trail, roles, client_for):
    page = body(client_for(roles["auditor"]).get(AUDIT))
    assert escape(action_label("provider.verified")) in page
    assert escape(object_type_label("procurement.Provider")) in page
    assert roles["admin"].full_name in page  # the actor by name, the login beside it
    assert trail["provider"].name in page
    assert ">provider.verified<" not in page and "procurement.Provider<" not in page
    assert reverse("procurement:provider_detail", args=[trail["provider"].pk]) in page  # the object's page
    assert reverse("desk:audit_event", args=[trail["ours"].seq]) in page
    assert "佛山市启航社工服务中心" not in page  # another palace's event
    assert trail["system"].object_repr not in page  # an event of no palace


def test_other_palace_auditor_sees_none_of_it_also_not_in_the_export(trail, roles, client_for):
    client = client_for(roles["other_auditor"])
    page = body(client.get(AUDIT))
    assert "佛山市启航社工服务中心" in page and trail["provider"].name not in page
    exported = "\n".join(",".join(r) for r in csv_rows(client.get(AUDIT, {"_export": "csv"})))
    assert "佛山市启航社工服务中心" in exported
    assert trail["provider"].name not in exported and "HYPERLINK" not in exported


def test_events_of_no_palace_are_for_superusers(trail, client_for):
    root = UserFactory(username="t-root", is_superuser=True)
    page = body(client_for(root).get(AUDIT))
    assert trail["system"].object_repr in page and escape(action_label("user.created")) in page
    assert "佛山市启航社工服务中心" in page and trail["provider"].name in page


def test_export_has_readable_labels_and_neutralised_formulas(trail, roles, client_for):
    rows = csv_rows(client_for(roles["auditor"]).get(AUDIT, {"_export": "csv"}))
    header, data = rows[0], rows[1:]
    assert len(data) == 2
    by_seq = {int(r[0]): r for r in data}
    ours, trap = by_seq[trail["ours"].seq], by_seq[trail["trap"].seq]
    assert str(action_label("provider.verified")) in ours
    assert f"{roles['admin'].full_name} (t-ws-admin)" in ours
    assert f"{object_type_label('procurement.Provider')} {trail['provider'].name}" in ours
    assert "provider.verified" not in ours
    assert any(cell.endswith('=HYPERLINK("http://x","y")') and not cell.startswith("=") for cell in trap)
    assert str(SYSTEM) in trap  # an event no person caused
    assert len(header) == len(ours)


def seqs(page: str) -> list[int]:
    found = [int(s) for s in re.findall(r'href="/app/desk/audit/(\d+)/"', page)]
    return list(dict.fromkeys(found))  # each row links its event twice: the number and "Details"


def test_filters_narrow_the_events(trail, roles, wenshang, client_for):
    client = client_for(roles["auditor"])
    contract = draft_contract(palace=wenshang, provider=trail["provider"])
    signed = record(action="contract.signed", obj=contract, palace=wenshang, actor=roles["admin"])
    provider_id = str(trail["provider"].pk)

    def shown(**params):
        return seqs(body(client.get(AUDIT, params)))

    assert shown() == [signed.seq, trail["trap"].seq, trail["ours"].seq]  # newest first
    assert shown(status="contract.signed") == [signed.seq]
    assert shown(object_type="procurement.Provider", object_id=provider_id) == [trail["ours"].seq]
    assert shown(object_type="contracts.Contract") == [signed.seq]
    assert shown(actor=roles["admin"].full_name) == [signed.seq, trail["ours"].seq]
    assert shown(actor="t-ws-adm") == [signed.seq, trail["ours"].seq]
    assert shown(q="HYPERLINK") == [trail["trap"].seq]
    today = timezone.localdate()
    assert shown(date_from=today.isoformat(), date_to=today.isoformat()) == shown()
    assert shown(date_to=(today - timedelta(days=1)).isoformat()) == []
    assert shown(sort="seq") == [trail["ours"].seq, trail["trap"].seq, signed.seq]


def test_the_action_filter_offers_words(trail, roles, client_for):
    page = body(client_for(roles["auditor"]).get(AUDIT))
    assert f'<option value="contract.signed">{escape(action_label("contract.signed"))}</option>' in page
    assert f'<option value="contracts.Contract">{escape(object_type_label("contracts.Contract"))}</option>' in page


def bulk_events(palace, n: int, start: int) -> None:
    """``n`` events of ``palace`` straight into the table (the chain's hashes do not matter here)."""
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                seq=start + i,
                created_at=now,
                actor=None,
                actor_label="system",
                palace=palace,
                object_type="procurement.Provider",
                object_id=str(i),
                object_repr=f"机构{i}",
                action="provider.verified",
                before={"status": "pending"},
                after={"status": "verified"},
                prev_hash="0" * 64,
                hash=f"{start + i:064x}",
            )
            for i in range(n)
        ],
        batch_size=5000,
    )


def test_first_page_takes_the_same_queries_with_50000_events(roles, wenshang, client_for):
    client = client_for(roles["auditor"])
    bulk_events(wenshang, 2, start=1)
    with CaptureQueriesContext(connection) as few:
        assert "机构1" in body(client.get(AUDIT))
    bulk_events(wenshang, 49_998, start=3)
    with CaptureQueriesContext(connection) as many:
        page = body(client.get(AUDIT))
    assert "机构49997" in page
    assert "50000" in re.search(r'data-testid="result-count">(.*?)</p>', page, re.S).group(1)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- one event -------------------------------------------------------------------------------


def test_event_page_shows_before_and_after_side_by_side(trail, roles, client_for):
    event = trail["ours"]
    page = body(client_for(roles["auditor"]).get(reverse("desk:audit_event", args=[event.seq])))
    assert escape(action_label("provider.verified")) in page
    assert re.search(r'<tr class="is-changed" data-key="status">.*?pending.*?verified', page, re.S)
    assert event.hash in page and event.prev_hash in page
    history = f"{AUDIT}?object_type=procurement.Provider&amp;object_id={trail['provider'].pk}"
    assert history in page


def test_event_page_marks_only_the_changed_fields(wenshang, roles, client_for):
    provider = roles["provider_a"].provider
    event = record(
        action="provider.profile_updated",
        obj=provider,
        palace=wenshang,
        actor=roles["admin"],
        before={"name": "甲", "contact_phone": "1"},
        after={"name": "甲", "contact_phone": "2"},
    )
    page = body(client_for(roles["auditor"]).get(reverse("desk:audit_event", args=[event.seq])))
    assert '<tr class="is-changed" data-key="contact_phone">' in page
    assert '<tr data-key="name">' in page


def test_another_palace_event_does_not_exist_for_you(trail, roles, client_for):
    url = reverse("desk:audit_event", args=[trail["theirs"].seq])
    assert client_for(roles["auditor"]).get(url).status_code == 404
    assert client_for(roles["other_auditor"]).get(url).status_code == 200
    assert client_for(roles["auditor"]).get(reverse("desk:audit_event", args=[trail["system"].seq])).status_code == 404


# --- verifying the chain ---------------------------------------------------------------------


@pytest.fixture
def chain(trail):
    """Four events written through audit.record: a sound chain of both palaces and none."""
    assert audit.verify_chain().ok and AuditEvent.objects.count() == 4
    return trail


def verify(client) -> str:
    return body(client.post(VERIFY))


def test_verify_page_offers_the_check_and_changes_nothing(chain, roles, client_for):
    client = client_for(roles["auditor"])
    assert 'data-testid="verify"' in body(client.get(VERIFY))
    head = AuditHead.objects.get()
    page = verify(client)
    assert 'data-result="intact"' in page and 'data-checked="4"' in page
    assert AuditEvent.objects.count() == 4 and AuditHead.objects.get().seq == head.seq


def test_an_altered_event_is_named(chain, roles, client_for):
    bad = chain["ours"]
    sql("UPDATE core_auditevent SET after = %s WHERE seq = %s", [json.dumps({"status": "rejected"}), bad.seq])
    page = verify(client_for(roles["auditor"]))
    assert f'data-first-bad="{bad.seq}"' in page
    first = re.search(r'<dd id="first-bad">(.*?)</dd>', page, re.S).group(1)
    assert reverse("desk:audit_event", args=[bad.seq]) in first
    assert escape(action_label("provider.verified")) in first and chain["provider"].name in first
    assert roles["admin"].full_name in first


def test_an_altered_event_of_another_palace_is_named_by_its_number_alone(chain, roles, client_for):
    bad = chain["ours"]
    sql("UPDATE core_auditevent SET actor_label = %s WHERE seq = %s", ["someone-else", bad.seq])
    page = verify(client_for(roles["other_auditor"]))
    assert f'data-first-bad="{bad.seq}"' in page
    first = re.search(r'<dd id="first-bad">(.*?)</dd>', page, re.S).group(1)
    assert f"#{bad.seq}" in first
    assert chain["provider"].name not in page and reverse("desk:audit_event", args=[bad.seq]) not in page


def test_a_deleted_event_is_named_as_the_gap(chain, roles, client_for):
    gone = chain["theirs"]
    sql("DELETE FROM core_auditevent WHERE seq = %s", [gone.seq])
    page = verify(client_for(roles["auditor"]))
    assert f'data-first-bad="{gone.seq}"' in page
    assert f"#{gone.seq}" in re.search(r'<p id="problem">(.*?)</p>', page, re.S).group(1)
    assert f"#{gone.seq + 1}" in re.search(r'<dd id="next-stored">(.*?)</dd>', page, re.S).group(1)
    assert reverse("desk:audit_event", args=[gone.seq - 1]) in re.search(
        r'<dd id="last-good">(.*?)</dd>', page, re.S
    ).group(1)


def test_verify_is_offered_to_auditors_not_administrators(chain, roles, client_for):
    assert 'data-testid="verify-link"' in body(client_for(roles["auditor"]).get(AUDIT))
    assert 'data-testid="verify-link"' in body(client_for(roles["auditor"]).get(reverse("desk:index")))
    assert 'data-testid="verify-link"' not in body(client_for(roles["admin"]).get(AUDIT))
    assert 'data-testid="verify-link"' not in body(client_for(roles["admin"]).get(reverse("desk:index")))
    assert client_for(roles["admin"]).post(VERIFY).status_code == 403


# --- an object's own history on its page -----------------------------------------------------


def test_contract_page_shows_its_history_to_the_palace_auditor_only(roles, wenshang, client_for):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    for i in range(22):
        record(
            action="contract.updated",
            obj=contract,
            palace=wenshang,
            actor=roles["admin"],
            before={"amount": str(i)},
            after={"amount": str(i + 1)},
        )
    url = reverse("contracts:contract_detail", args=[contract.pk])
    page = body(client_for(roles["auditor"]).get(url))
    history = re.search(r'<details[^>]*id="change-history".*?</details>', page, re.S).group(0)
    assert re.search(r"[（(]22[）)]", history)  # the count, in either language's brackets
    assert len(re.findall(r'href="/app/desk/audit/\d+/"', history)) == 20  # the newest 20
    newest = AuditEvent.objects.order_by("-seq").first().seq
    assert f"#{newest}<" in history and escape(action_label("contract.updated")) in history
    assert f"object_type=contracts.Contract&amp;object_id={contract.pk}" in history
    assert 'id="change-history"' not in body(client_for(roles["evaluator"]).get(url))


def test_provider_page_history_is_not_shown_to_other_palaces(roles, wenshang, client_for):
    provider = roles["provider_b"].provider
    record(action="provider.verified", obj=provider, palace=wenshang, actor=roles["admin"])
    url = reverse("procurement:provider_detail", args=[provider.pk])
    assert 'id="change-history"' in body(client_for(roles["admin"]).get(url))
    other = client_for(roles["other_admin"]).get(url)
    assert other.status_code != 200 or 'id="change-history"' not in other.content.decode()


# --- the home panel --------------------------------------------------------------------------


def test_home_panel_names_actions_and_people(roles, wenshang, client_for):
    services.provider_verify(actor=roles["admin"], provider=ProviderFactory(palace=wenshang, name="惠工影院"))
    page = body(client_for(roles["auditor"]).get(reverse("workbench:index")))
    assert escape(action_label("provider.verified")) in page and roles["admin"].full_name in page
    assert ">provider.verified" not in page
    assert AUDIT in page and VERIFY in page


def test_actor_is_shown_by_full_name_with_the_login_muted(wenshang, roles, client_for):
    person = staff(wenshang, Role.ADMIN, "t-zhang")
    person.full_name = "张伟"
    person.save()
    event = record(action="provider.verified", obj=roles["provider_b"].provider, palace=wenshang, actor=person)
    page = body(client_for(roles["auditor"]).get(reverse("desk:audit_event", args=[event.seq])))
    assert re.search(r'id="actor">张伟 <span class="hz-muted hz-small">t-zhang</span>', page)


def test_a_field_is_named_in_words_even_when_it_is_a_reverse_relation():
    from core.audit_display import field_label
    from procurement.models import Criterion, Recruitment

    assert field_label("procurement.Recruitment", "title") == capfirst(
        Recruitment._meta.get_field("title").verbose_name
    )
    assert field_label("procurement.Recruitment", "criteria") == capfirst(Criterion._meta.verbose_name_plural)
    assert field_label("procurement.Recruitment", "no_such_field") == "no_such_field"
    assert field_label("gone.Model", "state") == "state"


def test_an_object_history_costs_one_query_and_none_for_those_it_is_not_for(roles, wenshang, rf):
    from django.template import Context, Template

    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    for i in range(25):
        record(action="contract.updated", obj=contract, palace=wenshang, actor=roles["admin"], after={"n": i})
    template = Template("{% load hezuo_audit %}{% object_history contract %}")

    def rendered(user) -> tuple[str, int]:
        request = rf.get("/")
        request.user = user
        user.__dict__.pop("_hezuo_roles", None)
        from core.desk import desk_palace_ids

        desk_palace_ids(user)  # roles are read once per request, before the page's sections
        with CaptureQueriesContext(connection) as queries:
            html = template.render(Context({"contract": contract, "request": request}))
        return html, len(queries)

    html, n = rendered(roles["auditor"])
    assert n == 1 and re.search(r"[（(]25[）)]", html) and len(re.findall(r'href="/app/desk/audit/\d+/"', html)) == 20
    assert rendered(roles["provider_a"]) == ("", 0)
    assert rendered(roles["evaluator"]) == ("", 0)
    assert rendered(roles["other_auditor"]) == ("", 1)  # none of its events are of their palace
