"""An upheld objection reopens the evaluation: a new round, scored again by the panel, old round kept."""

from decimal import Decimal

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core.audit import verify_chain
from core.errors import DomainError
from core.models import IssuedDocument
from procurement import services
from procurement.flows import PanelFlow, panel_process
from procurement.models import (
    Application,
    CompiledScore,
    Objection,
    PanelMember,
    Recruitment,
    Score,
)
from tests.recruitment_builders import RecruitmentBuilder, Stage

pytestmark = pytest.mark.django_db


def _publicised_with_upheld_objection(django_capture_on_commit_callbacks):
    b = RecruitmentBuilder(applicants=3, evaluators=3, criteria=3, issue_documents=True)
    with django_capture_on_commit_callbacks(execute=True):
        b.advance_to(Stage.PUBLICITY)
    loser = b.recruitment.applications.get(rank=3)
    objection = services.objection_lodge(
        actor=loser.provider.users.get().user, recruitment=b.recruitment, grounds="评分细则理解有误"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.objection_answer(
            actor=b.admin,
            objection=objection,
            upheld=True,
            answer="质疑成立，重新评审。",
            outcome=Objection.Outcome.REOPEN,
        )
    b.refresh()
    return b


def test_upheld_objection_sends_every_seat_back_to_scoring(django_capture_on_commit_callbacks):
    b = _publicised_with_upheld_objection(django_capture_on_commit_callbacks)
    r = b.recruitment
    assert r.state == Recruitment.State.EVALUATING
    assert (r.evaluation_round, r.compiled_at, r.awarded_application, r.publicity_ends_at) == (2, None, None, None)
    assert all(m.state == PanelMember.State.DECLARED for m in b.members)
    assert not CompiledScore.objects.filter(application__recruitment=r).exists()
    assert not Application.objects.filter(recruitment=r, rank__isnull=False).exists()
    # The first round is kept for the record, but no longer counts.
    assert Score.objects.filter(member__recruitment=r).count() == 0
    assert Score.all_rounds.filter(member__recruitment=r, superseded_in_round=1).count() == 3 * 3 * 2
    # Every evaluator has a task in the inbox again, in a new panel process.
    process = panel_process(r)
    open_tasks = Task.objects.filter(process=process, flow_task=PanelFlow.evaluate, status=STATUS.ASSIGNED)
    assert {t.owner_id for t in open_tasks} == {m.evaluator_id for m in b.members}
    # The award cannot be proposed again before the panel has re-scored.
    with pytest.raises(DomainError):
        services.award_propose(actor=b.admin, recruitment=r, application=b.applications[0])
    assert verify_chain().ok


def test_the_second_round_compiles_a_new_ranking_and_a_new_report_version(django_capture_on_commit_callbacks):
    b = _publicised_with_upheld_objection(django_capture_on_commit_callbacks)
    r = b.recruitment
    first_report = IssuedDocument.objects.get(kind=IssuedDocument.Kind.TENDER_REPORT, version=1)
    # This round the panel scores the third applicant highest on every criterion.
    third = b.applications[2]
    with django_capture_on_commit_callbacks(execute=True):
        for member in b.members:
            sheet = [
                services.ScoreInput(a.pk, c.pk, c.max_points if a.pk == third.pk else c.max_points / 2, "复评")
                for a in b.applications
                for c in b.criteria
                if c.kind == "subjective"
            ]
            services.scores_submit(actor=member.evaluator, member=member, scores=sheet)
    r.refresh_from_db()
    assert r.compiled_at is not None
    third.refresh_from_db()
    assert third.rank == 1
    first_report.refresh_from_db()
    import io

    from pypdf import PdfReader

    second = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.TENDER_REPORT).latest("version")
    assert second.version > 1 and second.pk != first_report.pk
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(second.file.read())).pages)
    assert "第 2 轮" in text and "质疑成立" in text, text[:1500]
    assert Score.objects.filter(member__recruitment=r).count() == 3 * 3 * 2
    assert Score.all_rounds.filter(member__recruitment=r).count() == 2 * 3 * 3 * 2
    services.award_propose(actor=b.admin, recruitment=r, application=third)
    assert Recruitment.objects.get(pk=r.pk).state == Recruitment.State.PUBLICITY
    assert verify_chain().ok


def test_the_reopened_sheet_starts_from_the_evaluators_previous_scores(client, django_capture_on_commit_callbacks):
    b = _publicised_with_upheld_objection(django_capture_on_commit_callbacks)
    member = b.members[0]
    old = Score.all_rounds.filter(member=member, superseded_in_round=1).first()
    client.force_login(member.evaluator)
    task = Task.objects.filter(
        process=panel_process(b.recruitment), owner=member.evaluator, status=STATUS.ASSIGNED
    ).get()
    page = client.get(reverse("panel:evaluate:execute", args=[task.process_id, task.pk]), follow=True)
    html = page.content.decode()
    assert page.status_code == 200, html[:500]
    assert "第 2 轮评审" in html or "round 2" in html.lower()
    assert f'name="points_{old.application_id}_{old.criterion_id}"' in html
    assert f'value="{Decimal(old.points).normalize():f}' in html or f'value="{old.points}"' in html
