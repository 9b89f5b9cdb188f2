"""The one exception type services raise for anything the user must be told."""

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """A refusal the user sees as-is. ``message`` is already translated or lazy."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotPermitted(PermissionDenied):
    """Raised by services when the actor may not do this; views turn it into a 403."""
