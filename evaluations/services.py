"""The evaluations app's writes, for callers outside it (tests, the demo, the API).

Each lives in its sub-domain's package (``realtime``, ``rectification``, ``final``, ``exit``);
this module only gathers their names. Nothing inside ``evaluations`` imports it: a module
there imports the service it calls from its own package or a lower one.
"""

from evaluations.exit.services import exit_open, handover_confirm  # noqa: F401
from evaluations.final.services.appeal import appeal_decide, appeal_lodge, appeal_windows_close  # noqa: F401
from evaluations.final.services.evaluation import (  # noqa: F401
    final_confirm,
    final_evaluation_open,
    final_evaluations_open_due,
    final_panel_compiled,
    final_sign_off,
)
from evaluations.final.services.panel import (  # noqa: F401
    final_panel_assign,
    final_panel_declare,
    final_panel_justify,
    final_panel_replace,
    final_panel_submit,
)
from evaluations.final.services.renewal import final_renew, final_terms_end  # noqa: F401
from evaluations.realtime.services.inspections import (  # noqa: F401
    ChecklistItemInput,
    ItemScoreInput,
    checklist_create,
    inspection_assign,
    inspection_submit,
    red_line_record,
)
from evaluations.realtime.services.period import current_period, period_apply, period_recompute  # noqa: F401
from evaluations.realtime.services.ratings import rating_link_for, rating_problem, rating_submit  # noqa: F401
from evaluations.rectification.services import *  # noqa: F403
