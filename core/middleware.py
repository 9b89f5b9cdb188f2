"""Carries the current request's client address to the audit trail without passing requests into services."""

import functools
import ipaddress
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.ipv6 import clean_ipv6_address

from .models import Role
from .permissions import palace_ids

_client_ip: ContextVar[str | None] = ContextVar("hezuo_client_ip", default=None)


def current_ip() -> str | None:
    return _client_ip.get()


@functools.lru_cache(maxsize=4096)  # pure, and called on every audited write with the few addresses of the moment
def clean_ip(value: str | None) -> str | None:
    """The client address in the form the database stores and returns, or None if it is not one.

    GenericIPAddressField rewrites IPv6 on save (2001:0db8::0001 -> 2001:db8::1)
    and PostgreSQL's inet refuses anything that is not an address, so the raw
    REMOTE_ADDR would either break the hash or fail the whole transaction.
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip().split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def client_ip(request) -> str | None:
    """The client's address: the one way Hezuo reads it (audit trail, rating limit, login throttling).

    REMOTE_ADDR, unless settings.HEZUO_CLIENT_IP_HEADER names the header that the reverse proxy in
    front of production sets (X-Real-IP, or X-Forwarded-For of which the proxy appends the last
    entry). A client can forge such a header, so it is read only when that setting says a proxy
    overwrites it.
    """
    header = settings.HEZUO_CLIENT_IP_HEADER
    raw = request.META.get(header, "") if header else ""
    raw = raw.split(",")[-1].strip() if raw else request.META.get("REMOTE_ADDR")
    return clean_ip(raw)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)


class ChosenLanguageMiddleware:
    """Simplified Chinese unless the user picked another language with the switcher.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a palace PC
    with an English browser would show English; the palace wants Chinese by default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


# What an auditor may POST: checking a document or the audit chain, and their own session and
# account. Downloads and exports are GETs.
AUDITOR_POSTS = frozenset(
    {
        "verify_upload",
        "desk:verify_chain",
        "login",
        "logout",
        "set_language",
        "password_change",
        "workbench:notification_read",
        "workbench:notifications_read_all",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class AuditorsReadOnlyMiddleware:
    """An auditor reads everything and changes nothing: refuse their writes in one place.

    Each view and service checks its own permission too (an auditor holds none of the roles
    that may write); this is the guarantee that no page, present or future, takes a POST from
    someone who only audits, whatever the page would do with it. A person who also holds
    another role (an administrator of one palace who audits another) passes, and the services
    judge each write by palace.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS or not _only_audits(request.user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in AUDITOR_POSTS:
            return None
        raise PermissionDenied


def _only_audits(user) -> bool:
    if not user.is_authenticated or user.is_superuser:
        return False
    audited = palace_ids(user, Role.AUDITOR)
    return bool(audited) and palace_ids(user) == audited
