"""``can_<action>(user, obj) -> bool`` for providers, service projects, recruitments and their panels."""

from core.models import Palace, Role
from core.permissions import AnyUser, has_role, is_admin_anywhere

from .models import Declaration, PanelMember, Provider, Recruitment, ServiceProject


def provider_of(user: AnyUser) -> Provider | None:
    """The organisation a provider user acts for, cached on the user object."""
    if not user.is_authenticated:
        return None
    if "_hezuo_provider" not in user.__dict__:
        link = getattr(user, "provider_link", None) if hasattr(user, "provider_link") else None
        user.__dict__["_hezuo_provider"] = link.provider if link else None
    return user.__dict__["_hezuo_provider"]


def is_provider_user(user: AnyUser) -> bool:
    return provider_of(user) is not None


def can_view_provider(user: AnyUser, provider: Provider) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    own = provider_of(user)
    if own is not None:
        return own.pk == provider.pk
    return has_role(user, provider.palace_id, Role.ADMIN, Role.AUDITOR)


def can_edit_provider(user: AnyUser, provider: Provider) -> bool:
    own = provider_of(user)
    return own is not None and own.pk == provider.pk


def can_review_registrations(user: AnyUser, palace: Palace | int) -> bool:
    """Whoever decides a palace's registrations; whether one still awaits a decision is the service's to say."""
    return has_role(user, palace, Role.ADMIN)


def can_review_provider(user: AnyUser, provider: Provider) -> bool:
    return provider.status == Provider.Status.PENDING and can_review_registrations(user, provider.palace_id)


def can_manage_service_projects(user: AnyUser, palace: Palace | int) -> bool:
    return has_role(user, palace, Role.ADMIN)


def can_view_service_project(user: AnyUser, project: ServiceProject) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, project.palace_id))


def can_edit_service_project(user: AnyUser, project: ServiceProject) -> bool:
    return has_role(user, project.palace_id, Role.ADMIN)


# --- recruitments ------------------------------------------------------------------------


def can_manage_recruitment(user: AnyUser, recruitment) -> bool:
    return has_role(user, recruitment.palace_id, Role.ADMIN)


def can_view_recruitment(user: AnyUser, recruitment) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, recruitment.palace_id))


def applications_unsealed(recruitment) -> bool:
    """Until the deadline has passed and the recruitment closed, content is the applicant's alone."""
    return recruitment.state not in (Recruitment.State.DRAFT, Recruitment.State.PUBLISHED)


def can_view_application(user: AnyUser, application) -> bool:
    """The applicant always; palace admins and auditors once unsealed; an evaluator once unsealed
    and only after declaring no conflict with this applicant. Never another provider."""
    if not user.is_authenticated:
        return False
    own = provider_of(user)
    if own is not None:
        return own.pk == application.provider_id
    recruitment = application.recruitment
    if not applications_unsealed(recruitment):
        return False
    if user.is_superuser or has_role(user, recruitment.palace_id, Role.ADMIN, Role.AUDITOR):
        return True
    return Declaration.objects.filter(
        member__recruitment=recruitment,
        member__evaluator=user,
        member__state__in=[PanelMember.State.DECLARED, PanelMember.State.SUBMITTED, PanelMember.State.JUSTIFYING],
        application=application,
        conflict=Declaration.Conflict.NONE,
    ).exists()


def can_create_recruitment(user: AnyUser) -> bool:
    """An administrator of some palace; the service project chosen decides which."""
    return is_admin_anywhere(user)


def can_see_applicants(user: AnyUser, recruitment) -> bool:
    """Who may see the applicants' names, prices and validity of a closed recruitment.

    Staff who read the palace (administrators, auditors) once the seal is off; an
    evaluator only when sitting on the panel with no conflict declared. The applicant
    itself sees its own application elsewhere, never this list.
    """
    if not user.is_authenticated or provider_of(user) is not None or not applications_unsealed(recruitment):
        return False
    if user.is_superuser or has_role(user, recruitment.palace_id, Role.ADMIN, Role.AUDITOR):
        return True
    return _clear_panel_seat(user, recruitment)


def can_see_scores(user: AnyUser, recruitment) -> bool:
    """Individual scores stay sealed until the panel's scores are compiled, for everyone."""
    return recruitment.compiled_at is not None and can_see_applicants(user, recruitment)


def _clear_panel_seat(user: AnyUser, recruitment) -> bool:
    return (
        has_role(user, recruitment.palace_id, Role.EVALUATOR)
        and PanelMember.objects.filter(
            recruitment=recruitment,
            evaluator=user,
            state__in=[PanelMember.State.DECLARED, PanelMember.State.SUBMITTED, PanelMember.State.JUSTIFYING],
        ).exists()
    )


def can_work_panel_seat(user: AnyUser, member) -> bool:
    """Only the evaluator in the seat declares, scores and justifies for it."""
    return user.is_authenticated and member.evaluator_id == user.pk


def can_follow_panel(user: AnyUser, recruitment) -> bool:
    """The panel's workflow (its process and tasks): the palace's administrators and auditors,
    and the evaluators who sit or sat on this panel."""
    if not user.is_authenticated or provider_of(user) is not None:
        return False
    if user.is_superuser or has_role(user, recruitment.palace_id, Role.ADMIN, Role.AUDITOR):
        return True
    return recruitment.panel.filter(evaluator=user).exists()
