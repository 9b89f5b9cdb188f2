"""Worker satisfaction (DOMAIN.md §4): the public rating page of an activity, and its QR code and poster.

``/rate/<token>/`` needs no login. A device is a random id in a signed, HttpOnly cookie
that this page sets on the first visit; the service stores only a keyed hash of it, and
the database allows one rating per device per activity, and the service no more ratings
than the activity had participants. POSTs are limited per client address (core.middleware.client_ip,
as the audit trail records it) by django-ratelimit in Django's cache, shared by every process
when REDIS_URL is set (``post_rates`` has the windows and the cap they make).

The QR code (SVG) and the printable poster are for the palace's staff and the
provider's own users.
"""

import io
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import segno
from django import forms
from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import get_usage

from contracts.models import Activity
from contracts.permissions import can_view_contract
from core.errors import DomainError
from core.middleware import client_ip
from core.viewmixins import deny_or_login
from evaluations.realtime.models import Rating, RatingLink
from evaluations.realtime.services import ratings as services
from evaluations.realtime.services.ratings import (
    COMMENT_MAX,
    ERR_ALREADY,
    ERR_STARS,
    RATING_WINDOW_DAYS,
    device_key,
    find_link,
)

DEVICE_COOKIE = "hz_device"
DEVICE_SALT = "hezuo.rating-device"
DEVICE_MAX_AGE = 365 * 24 * 60 * 60

# POSTs per client address per minute. A whole activity's audience often shares one address (the
# palace's Wi-Fi behind one NAT), and each device rates once anyway, so the limit only stops floods;
# settings.HEZUO_RATING_POSTS_PER_MINUTE changes it (0 switches it off).
DEFAULT_POSTS_PER_MINUTE = 60
RATE_GROUP = "hezuo.rating-posts"

STAR_WORDS = {
    1: pgettext_lazy("rating", "Very poor"),
    2: pgettext_lazy("rating", "Poor"),
    3: pgettext_lazy("rating", "Fair"),
    4: pgettext_lazy("rating", "Good"),
    5: pgettext_lazy("rating", "Excellent"),
}

ERR_NO_DEVICE = _(
    "Please tap “Submit my rating” once more. (This page keeps one rating per phone with a "
    "cookie; if this message comes back, allow cookies for this site.)"
)


# --- the device cookie and the rate limit ---------------------------------------------------------


def device_id(request) -> str | None:
    """The device's id if it carries a cookie this site issued; an invented or altered one counts as none."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
    return value if value and 16 <= len(value) <= 64 else None


def set_device_cookie(response, value: str) -> None:
    response.set_signed_cookie(
        DEVICE_COOKIE,
        value,
        salt=DEVICE_SALT,
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def new_device_id() -> str:
    return secrets.token_urlsafe(16)


def posts_per_minute() -> int:
    return int(getattr(settings, "HEZUO_RATING_POSTS_PER_MINUTE", DEFAULT_POSTS_PER_MINUTE))


def post_rates() -> list[str]:
    """The windows a POST is counted in: the minute's allowance, and a sixth of it per 10 seconds.

    django-ratelimit counts in fixed windows, and a burst that straddles a window's end gets the
    allowance of both: with the minute alone, 2 × 60 POSTs in two seconds. The 10-second window
    spreads the minute out: any 10 seconds take at most 2 × 10, and any 60 seconds at most
    60 + 10 = 70 (they touch at most seven 10-second windows, and within one minute window the
    minute's 60 hold). A steady 1 POST a second never meets the limit.
    """
    limit = posts_per_minute()
    if limit <= 0:
        return []
    return [f"{limit}/m", f"{-(-limit // 6)}/10s"]


def client_address(group: str, request) -> str:
    """The key each POST is counted under: the client's address, as the audit trail records it."""
    return client_ip(request) or "unknown"


def retry_after(request) -> int | None:
    """Count this POST in every window; None while within them all, else the seconds until it may come back.

    The counts live in Django's cache (settings.CACHES: Redis when REDIS_URL is set), so every
    process and server counts one address together.
    """
    refused = [
        usage
        for rate in post_rates()
        if (usage := get_usage(request, group=RATE_GROUP, key=client_address, rate=rate, increment=True))
        and usage["should_limit"]
    ]
    if not refused:
        return None
    # time_left counts to the window's last second, which still belongs to it.
    return max(usage["time_left"] for usage in refused) + 1


# --- the public page ------------------------------------------------------------------------------


class RatingForm(forms.Form):
    # The page draws its own five radio buttons (stars_range); a whole number 1–5 is all the field checks.
    stars = forms.IntegerField(
        label=_("How satisfied were you with this activity?"),
        min_value=1,
        max_value=5,
        error_messages={"required": ERR_STARS, "invalid": ERR_STARS, "min_value": ERR_STARS, "max_value": ERR_STARS},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX}),
    )


_STARS = {str(n): n for n in range(1, 6)}


def plainly_valid(data) -> tuple[int, str] | None:
    """(stars, comment) when the POST is plainly what RatingForm accepts; None leaves it to the form.

    The page's hot path: a Form deep-copies its fields on every instantiation, which costs a
    rating more than its database work. Only input the form certainly accepts passes here, with
    the values it would clean (a test holds the two together); anything else, the form judges.
    """
    stars = _STARS.get(data.get("stars", ""))
    comment = data.get("comment", "")
    if stars is None or "\x00" in comment:
        return None
    comment = comment.strip()
    return (stars, comment) if len(comment) <= COMMENT_MAX else None


def public_rating_url(link: RatingLink) -> str:
    """The address printed in the QR code and on the poster: the public site, never the host a staff member used."""
    return settings.HEZUO_PUBLIC_URL.rstrip("/") + reverse("rate", args=[link.token])


def _own_rating(link: RatingLink, device: str | None) -> Rating | None:
    if device is None:
        return None
    return Rating.objects.filter(activity_id=link.activity_id, device=device_key(device)).first()


def _page(request, template: str, link: RatingLink | None, status: int = 200, **context):
    activity = link.activity if link else None
    context |= {
        "activity": activity,
        "link": link,
        "stars_range": [(n, STAR_WORDS[n]) for n in range(5, 0, -1)],
        "window_days": RATING_WINDOW_DAYS,
    }
    if context.get("rating") is not None:
        context["given"] = [n <= context["rating"].stars for n in range(1, 6)]
    if activity is not None:
        context |= {"contract": activity.contract, "provider": activity.contract.provider, "palace": activity.palace}
    return TemplateResponse(request, f"evaluations/rating/{template}", context, status=status)


def _unavailable(request, link: RatingLink | None, problem: str, now):
    """Unknown token 404; an activity still to come 200 (come back later); past the window or closed 410."""
    if link is None:
        status = 404
    elif link.activity.date > timezone.localdate(now):
        status = 200
    else:
        status = 410
    return _page(request, "unavailable.html", link, status=status, problem=problem)


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def rate(request, token: str):
    """The public page: stars and a comment, no login; then a thank-you page (post/redirect/get)."""
    now = timezone.now()
    if request.method == "POST" and (wait := retry_after(request)) is not None:
        response = _page(request, "too_many.html", None, status=429)
        response["Retry-After"] = str(wait)
        return response
    device = device_id(request)
    if request.method == "POST":
        response = _post(request, token, device, now)
    else:
        response = _show(request, find_link(token), device, now)
    if device is None:
        set_device_cookie(response, new_device_id())
    return response


def _show(
    request,
    link: RatingLink | None,
    device: str | None,
    now,
    *,
    form: RatingForm | None = None,
    status: int = 200,
    posted: bool = False,
):
    """What this link shows this device: unknown or closed, its own rating, or the form."""
    if link is None:
        return _unavailable(request, None, services.rating_problem(None, now), now)
    own = _own_rating(link, device)
    if own is not None:
        return _page(request, "thanks.html", link, rating=own, already=posted, message=ERR_ALREADY if posted else "")
    problem = services.rating_problem(link, now)
    if problem:
        return _unavailable(request, link, problem, now)
    return _page(request, "rate.html", link, status=status, form=form or RatingForm())


def _post(request, token: str, device: str | None, now):
    posted = plainly_valid(request.POST)
    form = None
    if posted is None:
        form = RatingForm(request.POST)
        if not form.is_valid():
            return _show(request, find_link(token), device, now, form=form, posted=True)
        posted = form.cleaned_data["stars"], form.cleaned_data["comment"]
    if device is None:
        form = form or _bound(request)
        # A POST from a device without this site's cookie: a script, or a browser refusing cookies.
        # Accepting it would make every cookie-less request a new "device"; it is handed a cookie
        # and asked to send the form once more instead.
        form.add_error(None, ERR_NO_DEVICE)
        return _show(request, find_link(token), device, now, form=form, status=400, posted=True)
    try:
        # The service reads the link and checks it (unknown, not yet, too old, closed). The redirect
        # needs nothing more: no page context.
        services.rating_submit(token=token, stars=posted[0], comment=posted[1], device_id=device, now=now)
    except DomainError as exc:
        form = form or _bound(request)
        if exc.field == "stars":
            form.add_error("stars", str(exc))
        else:  # the activity is full; a link that closed meanwhile shows its own page instead
            form.add_error(None, str(exc))
        # Already rated (also when this device's other POST won the race), closed, or unknown: the
        # page shows the activity, its contract and provider.
        link = find_link(token)
        return (
            _show(request, link, device, now, form=form, posted=True)
            if link
            else _unavailable(request, None, str(exc), now)
        )
    return HttpResponseRedirect(request.path)  # this page again (post/redirect/get): the thank-you


def _bound(request) -> RatingForm:
    """The form as the page shows it again, for input that passed ``plainly_valid``."""
    form = RatingForm(request.POST)
    form.is_valid()
    return form


# --- the QR code and the poster (staff and the provider) ------------------------------------------


def _activity_for(pk: int) -> Activity:
    return get_object_or_404(Activity.objects.select_related("contract__provider", "palace"), pk=pk)


def _qr(url: str) -> segno.QRCode:
    # Medium error correction, as core.qr: survives a smudged or folded printout.
    return segno.make(url, error="m", micro=False)


def activity_qr(request, pk: int):
    """The rating link's QR code as an SVG download, sharp at any print size."""
    activity = _activity_for(pk)
    if not can_view_contract(request.user, activity.contract):
        return deny_or_login(request)
    link = services.rating_link_for(activity)
    out = io.BytesIO()
    _qr(public_rating_url(link)).save(
        out, kind="svg", scale=10, border=4, dark="#000", light="#fff", xmldecl=True, encoding="utf-8"
    )
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="rating-qr-{activity.date:%Y%m%d}-{activity.pk}.svg"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def activity_poster(request, pk: int):
    """A printable A4 page to put up at the activity: what it was, the big QR code and the short address."""
    activity = _activity_for(pk)
    if not can_view_contract(request.user, activity.contract):
        return deny_or_login(request)
    link = services.rating_link_for(activity)
    url = public_rating_url(link)
    parts = urlsplit(url)
    return TemplateResponse(
        request,
        "evaluations/rating/poster.html",
        {
            "activity": activity,
            "contract": activity.contract,
            "provider": activity.contract.provider,
            "palace": activity.palace,
            "url": url,
            "short_url": f"{parts.netloc}{parts.path}",
            "qr": _qr(url).svg_inline(scale=1, omitsize=True, dark="#000", light="#fff"),
            "window_days": RATING_WINDOW_DAYS,
            "closes_on": activity.date + timedelta(days=RATING_WINDOW_DAYS),
        },
    )
