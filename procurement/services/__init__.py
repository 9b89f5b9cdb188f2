"""Every write in procurement: providers and service projects, then recruitments."""

from .providers import *  # noqa: F403
from .providers import DocumentUpload, KpiTargetInput  # noqa: F401  (re-exported for callers)
from .recruitment import *  # noqa: F403
from .retender import *  # noqa: F403
