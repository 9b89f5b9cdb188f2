"""PDF builders for procurement: template → HTML → WeasyPrint, through core's safe renderer and store."""

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.documents import DOCUMENT_TZ, document_issue
from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, IssuedDocument, Role, User
from core.permissions import has_role

from . import scoring
from .models import (
    Application,
    CompiledScore,
    Criterion,
    Declaration,
    PanelMember,
    Provider,
    ProviderDocument,
    Recruitment,
    Score,
    ScoreCorrection,
    ServiceCategory,
)

CERTIFICATE_TEMPLATE = "procurement/pdf/provider_certificate.html"
CERTIFICATE_TITLE = "服务机构登记核验证明"
ERR_NOT_VERIFIED = _("Only a verified provider can be issued a registration certificate.")

# An issued PDF is immutable and always Chinese, so its wording must not hang on
# whether the .po catalogue has caught up; unknown values fall back to the model's label.
CATEGORY_LABELS = {
    ServiceCategory.TRAINING: "培训",
    ServiceCategory.CULTURE: "文化",
    ServiceCategory.SPORTS: "体育",
    ServiceCategory.HEALTH: "健康",
    ServiceCategory.LEGAL_AID: "法律援助",
    ServiceCategory.OTHER: "其他",
}
DOCUMENT_KIND_LABELS = {
    ProviderDocument.Kind.LICENCE: "营业执照或登记证书",
    ProviderDocument.Kind.QUALIFICATION: "资质证书",
    ProviderDocument.Kind.OTHER: "其他证明材料",
}


def _certificate_context(provider: Provider) -> dict:
    categories = [
        CATEGORY_LABELS.get(c.category, c.get_category_display())
        for c in sorted(provider.categories.all(), key=lambda c: ServiceCategory.values.index(c.category))
    ]
    documents = [
        {
            "kind": DOCUMENT_KIND_LABELS.get(d.kind, d.get_kind_display()),
            "name": d.file.original_name,
            "sha256_prefix": d.file.sha256[:16],
        }
        for d in sorted(provider.documents.all(), key=lambda d: (d.file.uploaded_at, d.pk))
    ]
    reviewed_at = provider.reviewed_at or timezone.now()
    return {
        "provider": provider,
        "categories": categories,
        "qualification_documents": documents,
        "verified_on": timezone.localtime(reviewed_at, DOCUMENT_TZ),
        "verifier": str(provider.reviewed_by) if provider.reviewed_by_id else "",
    }


@transaction.atomic
def issue_provider_certificate(*, actor: User, provider: Provider) -> IssuedDocument:
    """Issue the registration certificate (服务机构登记核验证明) of a verified provider.

    Preconditions: the provider is verified and ``actor`` administers its palace.
    Effect: the next version of the certificate is stored and audited.
    """
    provider = (
        Provider.objects.select_related("palace", "reviewed_by")
        .prefetch_related("categories", "documents__file")
        .get(pk=provider.pk)
    )
    if not (actor.is_superuser or has_role(actor, provider.palace_id, Role.ADMIN)):
        raise NotPermitted
    if provider.status != Provider.Status.VERIFIED:
        raise DomainError(ERR_NOT_VERIFIED)
    return document_issue(
        actor=actor,
        kind=IssuedDocument.Kind.PROVIDER_CERTIFICATE,
        subject=provider,
        palace=provider.palace,
        title=f"{CERTIFICATE_TITLE}（{provider.name}）",
        template=CERTIFICATE_TEMPLATE,
        context=_certificate_context(provider),
    )


# --- the tender evaluation report (评审报告) ------------------------------------------------

TENDER_REPORT_TEMPLATE = "procurement/pdf/tender_report.html"
TENDER_REPORT_TITLE = "评审报告"
ERR_REPORT_NOT_COMPILED = _("The tender evaluation report is issued only once the scores are compiled.")

# The number matrices (every evaluator's sheet, the results, the declarations) would
# cost WeasyPrint a table cell per number, and 30 applicants × 7 evaluators × 10 criteria
# rendered about three times slower that way. So the numbers of a row are one run of monospaced text, laid out
# in fixed-width fields under real header cells, with the column rules painted by
# the column group; the row's number and name stay real cells and wrap.
# Noto Sans Mono CJK gives Latin characters half an em and CJK characters (and
# ※ †) a whole one, so a field is counted in half-em units.
SCORE_FIELD = 9  # "100.00" + a two-unit mark (※ or †) + one unit of air
DECLARATION_FIELD = 13  # "其他利害关系" (12) + one unit of air
# Must match the font sizes of table.matrix and table.declarations in tender_report.html.
MATRIX_FONT_PT = Decimal("8.5")
DECLARATION_FONT_PT = Decimal("7.5")
# Portrait A4 has 166 mm between the margins; the number and the name need about 50 mm.
PORTRAIT_MM = Decimal(166)
NAME_MIN_MM = Decimal(50)
PT_PER_MM = Decimal("72") / Decimal("25.4")
COMMENT_CHARS = 18

CONFLICT_LABELS = {
    Declaration.Conflict.NONE: "无利害关系",
    Declaration.Conflict.EMPLOYMENT: "三年内任职",
    Declaration.Conflict.FAMILY: "亲属关系",
    Declaration.Conflict.OTHER: "其他利害关系",
}
MEMBER_STATE_LABELS = {
    PanelMember.State.ASSIGNED: "未声明",
    PanelMember.State.DECLARED: "已声明，未提交评分",
    PanelMember.State.RECUSED: "回避",
    PanelMember.State.SUBMITTED: "已提交评分",
    PanelMember.State.JUSTIFYING: "待说明畸高畸低评分",
}
CORRECTION_REASON_LABELS = {
    ScoreCorrection.Reason.ARITHMETIC: "计算错误",
    ScoreCorrection.Reason.OUT_OF_RANGE: "超出分值范围",
    ScoreCorrection.Reason.INCONSISTENT: "客观评分项评分不一致",
    ScoreCorrection.Reason.ABNORMAL: "畸高畸低",
}
CORRECTION_STATE_LABELS = {
    ScoreCorrection.State.REQUESTED: "待审批",
    ScoreCorrection.State.APPROVED: "已批准",
    ScoreCorrection.State.REJECTED: "已驳回",
}
# The audit actions that make up the approval trail, in the words of the report.
TRAIL_ACTIONS = {
    "recruitment.created": "起草招募公告",
    "recruitment.updated": "修改招募公告",
    "recruitment.published": "发布招募公告",
    "recruitment.closed": "报名截止，完成资格审查",
    "recruitment.failed": "报名截止，有效申请不足，流标",
    "panel.assigned": "组建评审小组",
    "panel.declared": "声明无利害关系",
    "panel.recused": "声明存在利害关系，回避",
    "panel.replaced": "指定替补评审专家",
    "scores.submitted": "提交评分表",
    "scores.outliers_flagged": "被要求说明畸高畸低评分",
    "scores.justified": "提交畸高畸低评分说明",
    "recruitment.compiled": "汇总评分并锁定",
    "score.correction_requested": "申请更正评分",
    "score.correction_approved": "批准更正评分",
    "score.correction_rejected": "驳回更正申请",
    "award.proposed": "提出授标建议并公示",
    "recruitment.reopened": "质疑成立，重新评审",
}


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _pts(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _weight(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _when(value) -> str:
    return "—" if value is None else timezone.localtime(value, DOCUMENT_TZ).strftime("%Y-%m-%d %H:%M")


def _person(user: User | None) -> str:
    if user is None:
        return "系统"
    return user.full_name or user.get_username()


def _shorten(text: str, limit: int = COMMENT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _units(text: str) -> int:
    """Width in half-em units in Noto Sans Mono CJK: wide and ambiguous characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def _field_pt(units: int, font_pt: Decimal) -> Decimal:
    return units * font_pt / 2


@dataclass
class MonoRow:
    """One row of a number matrix: fixed-width fields, flagged ones kept apart for highlighting."""

    runs: list[tuple[str, str]] = field(default_factory=list)

    def add(self, text: str, width: int, *, align: str = "right", mark: str = "", flag: str = "") -> None:
        if align == "right":
            body = " " * max(0, width - 3 - _units(text)) + text
            cell = body + mark + " " * (width - _units(body) - _units(mark))
        else:  # centred labels
            pad = width - 1 - _units(text)
            cell = " " * (pad // 2) + text + " " * (pad - pad // 2 + 1)
        if not flag:
            self._append(cell, "")
            return
        body = cell.strip(" ")
        lead = len(cell) - len(cell.lstrip(" "))
        self._append(cell[:lead], "")
        self._append(body, flag)
        self._append(cell[lead + len(body) :], "")

    def _append(self, text: str, flag: str) -> None:
        if not text:
            return
        if self.runs and self.runs[-1][1] == flag == "":
            self.runs[-1] = (self.runs[-1][0] + text, "")
        else:
            self.runs.append((text, flag))

    def as_list(self) -> list[dict]:
        return [{"text": text, "flag": flag} for text, flag in self.runs]


def _trail(
    recruitment: Recruitment,
    panel: list[PanelMember],
    corrections: list[ScoreCorrection],
    applications: list[Application],
) -> list[dict]:
    """The approval trail from the audit events, each with what it concerned in a few words."""
    members = {str(m.pk): m for m in panel}
    fixes = {str(c.pk): c for c in corrections}
    providers = {a.pk: a.provider.name for a in applications}
    by_object = (
        Q(object_type=Recruitment._meta.label, object_id=str(recruitment.pk))
        | Q(object_type=PanelMember._meta.label, object_id__in=list(members))
        | Q(object_type=ScoreCorrection._meta.label, object_id__in=list(fixes))
    )
    rows = []
    for e in AuditEvent.objects.filter(by_object, action__in=TRAIL_ACTIONS).select_related("actor").order_by("seq"):
        after = e.after or {}
        detail = ""
        if e.object_type == ScoreCorrection._meta.label:
            c = fixes[e.object_id]
            detail = (
                f"{_person(c.score.member.evaluator)}对{c.score.application.provider.name}"
                f"“{c.score.criterion.name}”的评分：{_pts(c.original_points)} → {_pts(c.corrected_points)}"
            )
        elif e.object_type == PanelMember._meta.label and members[e.object_id].evaluator_id != e.actor_id:
            detail = _person(members[e.object_id].evaluator)
        elif e.action in ("recruitment.closed", "recruitment.failed") and "valid_applications" in after:
            detail = f"有效申请 {after['valid_applications']} 份"
        elif e.action == "award.proposed" and after.get("awarded_application") in providers:
            detail = providers[after["awarded_application"]]
        rows.append(
            {
                "when": _when(e.created_at),
                "action": TRAIL_ACTIONS[e.action],
                "actor": _person(e.actor),
                "detail": detail,
            }
        )
    return rows


def _matrix_layout(columns: int, field_units: int, font_pt: Decimal) -> dict:
    col_pt = _field_pt(field_units, font_pt)
    wide = NAME_MIN_MM * PT_PER_MM + columns * col_pt > PORTRAIT_MM * PT_PER_MM
    return {"col_pt": f"{col_pt:.2f}", "wide": wide, "columns": columns}


def _tender_report_context(recruitment: Recruitment) -> dict:
    """Everything the report prints, read in a fixed number of queries and pre-formatted."""
    applications = list(recruitment.applications.select_related("provider").order_by("first_submitted_at", "pk"))
    seq = {a.pk: i for i, a in enumerate(applications, start=1)}
    valid = [a for a in applications if a.is_valid]
    ranked = sorted((a for a in valid if a.rank is not None), key=lambda a: a.rank)
    criteria = list(recruitment.criteria.all())
    subjective = [c for c in criteria if c.kind == Criterion.Kind.SUBJECTIVE]
    price_criterion = next((c for c in criteria if c.kind == Criterion.Kind.PRICE), None)
    panel = list(recruitment.panel.select_related("evaluator", "replaces__evaluator").order_by("pk"))
    active = [m for m in panel if m.state != PanelMember.State.RECUSED]
    replaced_by = {m.replaces_id: m for m in panel if m.replaces_id}

    declarations = {
        (d.member_id, d.application_id): d for d in Declaration.objects.filter(member__recruitment=recruitment)
    }
    scores: dict[tuple[int, int, int], Score] = {
        (s.member_id, s.application_id, s.criterion_id): s
        for s in Score.objects.filter(member__recruitment=recruitment).only(
            "pk", "member_id", "application_id", "criterion_id", "points", "comment", "is_outlier", "justification"
        )
    }
    corrections = list(
        ScoreCorrection.objects.filter(score__member__recruitment=recruitment)
        .select_related(
            "score__member__evaluator", "score__application__provider", "score__criterion", "requested_by", "decided_by"
        )
        .order_by("requested_at", "pk")
    )
    corrected = {c.score_id: c for c in corrections if c.state == ScoreCorrection.State.APPROVED}
    compiled = {
        (c.application_id, c.criterion_id): c.points
        for c in CompiledScore.objects.filter(application__recruitment=recruitment)
    }
    lowest_price = min((a.price for a in valid), default=None)

    def name(application: Application) -> str:
        return application.provider.name

    application_rows = [
        {
            "seq": seq[a.pk],
            "name": name(a),
            "credit_code": a.provider.credit_code,
            "price": _money(a.price),
            "submitted_at": _when(a.submitted_at),
            "version": a.version,
            "valid": bool(a.is_valid),
            "invalid_reason": "已撤回" if a.state == Application.State.WITHDRAWN else (a.invalid_reason or "无效"),
        }
        for a in applications
    ]

    panel_rows = []
    for i, m in enumerate(panel, start=1):
        note = ""
        if m.replaces_id:
            note = f"替补{_person(m.replaces.evaluator)}"
        elif m.state == PanelMember.State.RECUSED and m.pk in replaced_by:
            note = f"由{_person(replaced_by[m.pk].evaluator)}替补"
        panel_rows.append(
            {
                "seq": i,
                "name": _person(m.evaluator),
                "note": note,
                "state": MEMBER_STATE_LABELS.get(m.state, m.state),
                "recused": m.state == PanelMember.State.RECUSED,
                "declared_at": _when(m.declared_at),
                "submitted_at": _when(m.submitted_at),
            }
        )

    conflict_notes, declaration_rows = [], []
    for a in valid:
        line = MonoRow()
        for m in panel:
            d = declarations.get((m.pk, a.pk))
            if d is None:
                line.add("—", DECLARATION_FIELD, align="centre")
                continue
            label = CONFLICT_LABELS.get(d.conflict, d.get_conflict_display())
            conflict = d.conflict != Declaration.Conflict.NONE
            line.add(label, DECLARATION_FIELD, align="centre", flag="flag" if conflict else "")
            if conflict:
                conflict_notes.append(
                    {"evaluator": _person(m.evaluator), "applicant": name(a), "label": label, "note": d.note}
                )
        declaration_rows.append({"seq": seq[a.pk], "name": name(a), "line": line.as_list()})

    sheets = []
    for m in active:
        rows, remarks, notes = [], [], []
        for a in valid:
            line, subtotal, complete, comments = MonoRow(), Decimal(0), True, []
            for c in subjective:
                s = scores.get((m.pk, a.pk, c.pk))
                if s is None:
                    line.add("—", SCORE_FIELD)
                    complete = False
                    continue
                subtotal += s.points
                fix = corrected.get(s.pk)
                mark = "†" if fix else "※" if s.is_outlier else ""
                line.add(_pts(s.points), SCORE_FIELD, mark=mark, flag="flag" if mark else "")
                if fix:
                    notes.append(
                        f"† {name(a)} · {c.name}：原 {_pts(fix.original_points)} 分，"
                        f"更正为 {_pts(fix.corrected_points)} 分（见第八部分）"
                    )
                if s.is_outlier:
                    notes.append(
                        f"※ {name(a)} · {c.name} · {_pts(s.points)} 分，畸高畸低评分说明："
                        f"{s.justification or '（未说明）'}"
                    )
                if s.comment:
                    comments.append(f"{c.name}：{_shorten(s.comment)}")
            line.add(_pts(subtotal) if complete else "—", SCORE_FIELD)
            rows.append({"seq": seq[a.pk], "name": name(a), "line": line.as_list()})
            if comments:
                remarks.append({"seq": seq[a.pk], "name": name(a), "text": "；".join(comments)})
        sheets.append(
            {
                "evaluator": _person(m.evaluator),
                "submitted_at": _when(m.submitted_at),
                "rows": rows,
                "remarks": remarks,
                "notes": notes,
            }
        )

    result_rows = []
    for a in ranked:
        line = MonoRow()
        for c in subjective:
            line.add(_pts(compiled.get((a.pk, c.pk))), SCORE_FIELD)
        if price_criterion:
            line.add(_pts(compiled.get((a.pk, price_criterion.pk))), SCORE_FIELD)
        line.add(_pts(a.total), SCORE_FIELD, flag="total")
        awarded = a.pk == recruitment.awarded_application_id
        result_rows.append(
            {
                "seq": a.rank,
                "name": name(a),
                "line": line.as_list(),
                "note": f"报价 {_money(a.price)} 元" + ("，拟授标" if awarded else ""),
            }
        )

    correction_rows = [
        {
            "seq": i,
            "evaluator": _person(c.score.member.evaluator),
            "applicant": c.score.application.provider.name,
            "criterion": c.score.criterion.name,
            "original": _pts(c.original_points),
            "corrected": _pts(c.corrected_points),
            "reason": CORRECTION_REASON_LABELS.get(c.reason, c.reason),
            "justification": c.justification,
            "requested_by": _person(c.requested_by),
            "requested_at": _when(c.requested_at),
            "decided_by": _person(c.decided_by) if c.decided_by_id else "",
            "decided_at": _when(c.decided_at),
            "state": CORRECTION_STATE_LABELS.get(c.state, c.state),
        }
        for i, c in enumerate(corrections, start=1)
    ]

    award = None
    if recruitment.awarded_application_id:
        chosen = next(a for a in applications if a.pk == recruitment.awarded_application_id)
        award = {
            "name": name(chosen),
            "rank": chosen.rank,
            "total": _pts(chosen.total),
            "price": _money(chosen.price),
            "reason": recruitment.award_reason,
            "publicity_ends_at": _when(recruitment.publicity_ends_at),
        }

    score_columns = [{"name": c.name, "weight": _weight(c.max_points)} for c in subjective]
    result_columns = (
        score_columns
        + ([{"name": price_criterion.name, "weight": _weight(price_criterion.max_points)}] if price_criterion else [])
        + [{"name": "总分", "weight": "100"}]
    )
    sheet_columns = score_columns + [
        {"name": "小计", "weight": _weight(sum((c.max_points for c in subjective), Decimal(0)))}
    ]
    results_layout = _matrix_layout(len(result_columns), SCORE_FIELD, MATRIX_FONT_PT)
    return {
        "recruitment": recruitment,
        "project_category": CATEGORY_LABELS.get(
            recruitment.project.category, recruitment.project.get_category_display()
        ),
        "budget_ceiling": _money(recruitment.budget_ceiling),
        "opens_at": _when(recruitment.opens_at),
        "deadline": _when(recruitment.deadline),
        "compiled_at": _when(recruitment.compiled_at),
        "application_count": len(applications),
        "valid_count": len(valid),
        "invalid_count": len(applications) - len(valid),
        "applications": application_rows,
        "panel": panel_rows,
        "active_count": len(active),
        "recused_count": len(panel) - len(active),
        "evaluator_columns": [{"name": _person(m.evaluator), "weight": ""} for m in panel],
        "declaration_rows": declaration_rows,
        "declaration_layout": _matrix_layout(len(panel), DECLARATION_FIELD, DECLARATION_FONT_PT),
        "conflict_notes": conflict_notes,
        "criteria": [
            {
                "seq": i,
                "name": c.name,
                "weight": _weight(c.max_points),
                "description": c.description,
                "price": c.kind == Criterion.Kind.PRICE,
            }
            for i, c in enumerate(criteria, start=1)
        ],
        "price_criterion": (
            {"name": price_criterion.name, "weight": _weight(price_criterion.max_points)} if price_criterion else None
        ),
        "lowest_price": _money(lowest_price),
        "trimmed": len(active) >= scoring.TRIM_FROM,
        "outlier_percent": f"{scoring.OUTLIER_SHARE * 100:.0f}",
        "comment_chars": COMMENT_CHARS,
        "sheet_columns": sheet_columns,
        "sheet_layout": _matrix_layout(len(sheet_columns), SCORE_FIELD, MATRIX_FONT_PT),
        "sheets": sheets,
        "result_columns": result_columns,
        "results_layout": results_layout,
        "results": result_rows,
        "top": ({"name": name(ranked[0]), "total": _pts(ranked[0].total)} if ranked else None),
        "corrections": correction_rows,
        "award": award,
        "trail": _trail(recruitment, panel, corrections, applications),
        "signers": [_person(m.evaluator) for m in active],
    }


@transaction.atomic
def issue_tender_report(*, recruitment: Recruitment, actor: User | None = None) -> IssuedDocument:
    """Issue the next version of the tender evaluation report (评审报告) of a compiled recruitment.

    Called by ``recruitment_compile`` once the compiled scores are committed, so
    each compilation (the first, and each after an approved correction) adds a
    new version; earlier versions are never re-rendered. ``actor`` is whoever
    compiled (None when the last score sheet triggered it). Preconditions: the
    scores are compiled; an ``actor``, if given, administers the palace.
    """
    # Locked while it is read, so a correction approved meanwhile cannot mix into this version.
    recruitment = (
        Recruitment.objects.select_for_update(of=("self",))
        .select_related("palace", "project", "awarded_application")
        .get(pk=recruitment.pk)
    )
    if actor is not None and not (actor.is_superuser or has_role(actor, recruitment.palace_id, Role.ADMIN)):
        raise NotPermitted
    if recruitment.compiled_at is None:
        raise DomainError(ERR_REPORT_NOT_COMPILED)
    return document_issue(
        actor=actor,
        kind=IssuedDocument.Kind.TENDER_REPORT,
        subject=recruitment,
        palace=recruitment.palace,
        title=f"{TENDER_REPORT_TITLE}（{recruitment.number} {recruitment.title}）",
        template=TENDER_REPORT_TEMPLATE,
        context=_tender_report_context(recruitment),
    )
