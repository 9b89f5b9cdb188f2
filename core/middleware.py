"""Carries the current request's client address to the audit trail without passing requests into services."""

from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("hezuo_client_ip", default=None)


def current_ip() -> str | None:
    return _client_ip.get()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # REMOTE_ADDR only: X-Forwarded-For is trivially forged unless a proxy
        # strips it, and production sits behind one that sets REMOTE_ADDR.
        token = _client_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)
