"""The panel workflow (procurement/flows.py) driven end to end through its pages.

assign 5 → every evaluator has a task in the inbox → one recuses → the admin
replaces them → everyone scores, one with an outlier → that evaluator is asked to
justify → justifies → the scores compile → the ranking is on the cockpit.
"""

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from core.models import AuditEvent
from procurement import services
from procurement.flows import PanelFlow, panel_process
from procurement.models import Criterion, Declaration, PanelMember, Recruitment, Score

from ..recruitment_builders import RecruitmentBuilder, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client_for):
    """Clients that read the pages in English, the msgids' language."""

    def make(user=None):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def seat_url(client, member) -> str:
    """Follow the notification link to the seat's open task page."""
    response = client.get(reverse("procurement:panel_task", args=[member.pk]))
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def inbox(client) -> str:
    response = client.get(reverse("panel:inbox"))
    assert response.status_code == 200
    return response.content.decode()


def declare(client, member, applications, conflict_with=None):
    data = {"step": "declare"}
    for a in applications:
        data[f"conflict_{a.pk}"] = Declaration.Conflict.NONE
        data[f"note_{a.pk}"] = ""
    if conflict_with is not None:
        data[f"conflict_{conflict_with.pk}"] = Declaration.Conflict.EMPLOYMENT
        data[f"note_{conflict_with.pk}"] = "2024 年曾在该机构兼职授课"
    return client.post(seat_url(client, member), data)


def sheet(applications, criteria, points_for) -> dict:
    data = {"step": "score"}
    for a in applications:
        for c in criteria:
            data[f"points_{a.pk}_{c.pk}"] = str(points_for(a, c))
            data[f"comment_{a.pk}_{c.pk}"] = "方案可行"
    return data


@pytest.fixture
def closed():
    builder = RecruitmentBuilder(applicants=3, evaluators=5, recusals=1)
    builder.advance_to(Stage.CLOSED)
    return builder


def test_the_panel_runs_as_a_workflow_through_its_pages(closed, client_for, django_capture_on_commit_callbacks):
    recruitment, admin = closed.recruitment, client_for(closed.admin)
    clients = {e.pk: client_for(e) for e in [*closed.evaluators, *closed.reserves]}

    # The administrator names the panel: a process starts, one task per evaluator.
    response = admin.post(
        reverse("procurement:panel_assign", args=[recruitment.pk]), {"evaluators": [e.pk for e in closed.evaluators]}
    )
    assert response.status_code == 302
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.EVALUATING
    process = panel_process(recruitment)
    assert process is not None and process.artifact == recruitment
    for evaluator in closed.evaluators:
        assert recruitment.number in inbox(clients[evaluator.pk])
    assert Task.objects.filter(process=process, flow_task=PanelFlow.evaluate, status=STATUS.ASSIGNED).count() == 5

    applications = list(services.valid_applications(recruitment))
    members = list(recruitment.panel.order_by("pk"))

    # The first evaluator declares a conflict: recused, the task ends, the inbox empties.
    first = clients[members[0].evaluator_id]
    page = first.get(seat_url(first, members[0]))
    assert page.status_code == 200
    assert applications[0].provider.name in page.content.decode()
    assert str(applications[0].price) not in page.content.decode()  # names only before declaring
    assert declare(first, members[0], applications, conflict_with=applications[0]).status_code == 302
    members[0].refresh_from_db()
    assert members[0].state == PanelMember.State.RECUSED
    assert recruitment.number not in inbox(first)
    cockpit = admin.get(reverse("procurement:recruitment_detail", args=[recruitment.pk])).content.decode()
    assert "Recused (conflict of interest)" in cockpit

    # The administrator appoints the reserve, who gets a task of their own.
    reserve = closed.reserves[0]
    response = admin.post(
        reverse("procurement:panel_replace", args=[recruitment.pk, members[0].pk]),
        {f"replace-{members[0].pk}-evaluator": reserve.pk},
    )
    assert response.status_code == 302
    replacement = PanelMember.objects.get(replaces=members[0])
    assert replacement.evaluator == reserve
    assert recruitment.number in inbox(clients[reserve.pk])
    assert Task.objects.filter(process=process, flow_task=PanelFlow.replacement, status=STATUS.DONE).exists()

    # Everyone declares clear and scores; the last evaluator is far below the rest on one cell.
    panel = [replacement, *members[1:]]
    subjective = list(recruitment.criteria.filter(kind=Criterion.Kind.SUBJECTIVE))
    outlier_cell = (applications[1].pk, subjective[0].pk)
    for n, member in enumerate(panel):
        client = clients[member.evaluator_id]
        assert declare(client, member, applications).status_code == 302
        page = client.get(seat_url(client, member)).content.decode()
        assert applications[1].proposal in page  # the content opens once declared clear

        def points(a, c, n=n):
            if n == len(panel) - 1 and (a.pk, c.pk) == outlier_cell:
                return Decimal(0)
            return (c.max_points * Decimal("0.8")).quantize(Decimal("0.01"))

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(seat_url(client, member), sheet(applications, subjective, points))
        assert response.status_code == 302
        assert recruitment.number not in inbox(client) or n == len(panel) - 1

    # The outlier's evaluator is asked to justify; the scores are not compiled yet.
    outlier = PanelMember.objects.get(pk=panel[-1].pk)
    assert outlier.state == PanelMember.State.JUSTIFYING
    recruitment.refresh_from_db()
    assert recruitment.compiled_at is None
    client = clients[outlier.evaluator_id]
    assert "Justify outlier scores" in inbox(client)
    justify_page = client.get(seat_url(client, outlier))
    assert justify_page.status_code == 200
    flagged = outlier.scores.get(is_outlier=True)
    assert flagged.criterion.name in justify_page.content.decode()
    assert Task.objects.filter(process=process, flow_task=PanelFlow.justify, status=STATUS.ASSIGNED).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            seat_url(client, outlier), {"step": "justify", f"why_{flagged.pk}": "方案缺少安全预案，按细则只能给 0 分。"}
        )
    assert response.status_code == 302

    # Compiled; the process has ended; the ranking is on the cockpit.
    recruitment.refresh_from_db()
    assert recruitment.compiled_at is not None
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert not Task.objects.filter(process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
    cockpit = admin.get(reverse("procurement:recruitment_detail", args=[recruitment.pk])).content.decode()
    top = recruitment.applications.get(rank=1)
    assert 'id="ranking"' in cockpit and top.provider.name in cockpit
    assert str(top.total) in cockpit


def test_panel_moved_by_the_services_alone_keeps_the_inboxes_right(client_for):
    """A panel driven without its pages (a script, the demo seeder) leaves no task behind."""
    builder = RecruitmentBuilder(applicants=3, evaluators=3, recusals=1, outlier=True)
    builder.advance_to(Stage.COMPILED)
    process = panel_process(builder.recruitment)
    assert process.status == PROCESS.DONE
    for evaluator in [*builder.evaluators, *builder.reserves]:
        assert builder.recruitment.number not in inbox(client_for(evaluator))


def test_cancelling_the_recruitment_cancels_the_panel_tasks(closed, client_for):
    services.panel_assign(actor=closed.admin, recruitment=closed.recruitment, evaluators=closed.evaluators)
    member = closed.recruitment.panel.first()
    client = client_for(member.evaluator)
    url = seat_url(client, member)
    services.recruitment_cancel(actor=closed.admin, recruitment=closed.recruitment, reason="预算调整")
    assert panel_process(closed.recruitment).status == PROCESS.CANCELED
    assert closed.recruitment.number not in inbox(client)
    response = client.get(url, follow=True)  # the old task page explains instead of failing
    assert response.status_code == 200
    assert "This recruitment was cancelled" in response.content.decode()


def test_only_the_seat_holder_opens_a_seat_task(closed, client_for):
    services.panel_assign(actor=closed.admin, recruitment=closed.recruitment, evaluators=closed.evaluators)
    first, second = closed.recruitment.panel.order_by("pk")[:2]
    url = seat_url(client_for(first.evaluator), first)
    assert client_for(second.evaluator).get(url).status_code == 403
    assert client_for(closed.admin).get(url).status_code == 403
    assert client_for(second.evaluator).get(reverse("procurement:panel_task", args=[first.pk])).status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_last_sheets_arriving_together_compile_once_and_end_the_process(client_for):
    """Two evaluators post their last sheets at the same moment, one of them twice."""
    builder = RecruitmentBuilder(applicants=2, evaluators=3).advance_to(Stage.DECLARED)
    recruitment = builder.recruitment
    applications = list(services.valid_applications(recruitment))
    subjective = list(recruitment.criteria.filter(kind=Criterion.Kind.SUBJECTIVE))
    first, second, third = builder.members
    data = sheet(applications, subjective, lambda a, c: (c.max_points * Decimal("0.8")).quantize(Decimal("0.01")))
    client = client_for(first.evaluator)
    assert client.post(seat_url(client, first), data).status_code == 302

    posts = [
        (client_for(second.evaluator), second),
        (client_for(third.evaluator), third),
        (client_for(third.evaluator), third),
    ]
    urls = [seat_url(c, m) for c, m in posts]
    barrier, answers = threading.Barrier(len(posts)), [None] * len(posts)

    def post(i):
        try:
            barrier.wait(timeout=10)
            answers[i] = posts[i][0].post(urls[i], data).status_code
        except Exception as exc:  # handed back to the assertion below
            answers[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(posts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert all(a in (200, 302) for a in answers), answers  # the refused double post says why, no 500
    recruitment.refresh_from_db()
    assert recruitment.compiled_at is not None
    assert AuditEvent.objects.filter(action="recruitment.compiled", object_id=str(recruitment.pk)).count() == 1
    assert Score.objects.filter(member__recruitment=recruitment).count() == 3 * len(applications) * len(subjective)
    process = panel_process(recruitment)
    assert process.status == PROCESS.DONE
    assert not Task.objects.filter(process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
