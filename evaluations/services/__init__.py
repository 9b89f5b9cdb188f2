"""Every write of real-time evaluation and rectification (CONVENTIONS.md: one function per change)."""

from .exit import exit_open, handover_confirm  # noqa: F401
from .final import (  # noqa: F401
    appeal_decide,
    appeal_lodge,
    appeal_windows_close,
    final_confirm,
    final_evaluation_open,
    final_evaluations_open_due,
    final_panel_compiled,
    final_renew,
    final_sign_off,
    final_terms_end,
)
from .final_panel import (  # noqa: F401
    final_panel_assign,
    final_panel_declare,
    final_panel_justify,
    final_panel_replace,
    final_panel_submit,
)
from .inspections import (  # noqa: F401
    ChecklistItemInput,
    ItemScoreInput,
    checklist_create,
    inspection_assign,
    inspection_submit,
    red_line_record,
)
from .period import current_period, period_apply, period_recompute  # noqa: F401
from .ratings import rating_link_for, rating_problem, rating_submit  # noqa: F401
from .rectification import *  # noqa: F403
