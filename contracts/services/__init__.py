"""Every write on contracts and service reports (CONVENTIONS.md: one function per change)."""

from .contracts import *  # noqa: F403
from .contracts import __all__ as _contracts_all
from .lifecycle import *  # noqa: F403
from .lifecycle import __all__ as _lifecycle_all
from .reports import *  # noqa: F403
from .reports import __all__ as _reports_all

__all__ = [*_contracts_all, *_lifecycle_all, *_reports_all]
