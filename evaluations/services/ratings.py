"""Worker satisfaction (DOMAIN.md §4): 1–5 stars from a public link, one per device per activity."""

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Activity, Contract
from core import audit
from core.errors import DomainError

from ..models import Rating, RatingLink
from .period import period_apply

RATING_WINDOW_DAYS = 14
COMMENT_MAX = 500

ERR_LINK = _("This rating link is not valid. Please scan the QR code at the activity again.")
ERR_TOO_OLD = _("This activity took place more than %(days)d days ago, so it can no longer be rated.")
ERR_NOT_YET = _("This activity has not taken place yet.")
ERR_STARS = _("Choose from 1 to 5 stars.")
ERR_ALREADY = _("Thank you, this device has already rated this activity.")
ERR_CLOSED = _("Ratings for this service are closed.")

def rating_link_for(activity: Activity) -> RatingLink:
    link, _created = RatingLink.objects.get_or_create(activity=activity)
    return link


def device_key(device_id: str) -> str:
    """A keyed hash of the device cookie: stored instead of the cookie, so the table cannot be replayed."""
    return hmac.new(settings.SECRET_KEY.encode(), f"rating-device:{device_id}".encode(), hashlib.sha256).hexdigest()


def rating_problem(link: RatingLink | None, now: datetime) -> str:
    """Why this link cannot take a rating now, or ""; one predicate for the page and the service."""
    if link is None:
        return str(ERR_LINK)
    today = timezone.localdate(now)
    activity = link.activity
    if activity.date > today:
        return str(ERR_NOT_YET)
    if activity.date < today - timedelta(days=RATING_WINDOW_DAYS):
        return str(ERR_TOO_OLD % {"days": RATING_WINDOW_DAYS})
    if activity.contract.state not in (Contract.State.ACTIVE, Contract.State.RECTIFICATION):
        return str(ERR_CLOSED)
    return ""


def find_link(token: str) -> RatingLink | None:
    if not token or len(token) > 64:
        return None
    return RatingLink.objects.select_related("activity__contract", "activity__contract__provider").filter(
        token=token).first()


def rating_submit(*, token: str, stars: int, comment: str, device_id: str, now: datetime | None = None) -> Rating:
    """A worker's rating: checked, stored once per device, and added to the month's score at once."""
    now = now or timezone.now()
    link = find_link(token)
    problem = rating_problem(link, now)
    if problem:
        raise DomainError(problem)
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise DomainError(ERR_STARS, field="stars")
    activity = link.activity
    try:
        with transaction.atomic():
            rating = Rating.objects.create(activity=activity, contract=activity.contract, stars=stars,
                                           comment=comment.strip()[:COMMENT_MAX], device=device_key(device_id))
            audit.record(actor=None, action="rating.submitted", obj=rating, palace=activity.palace_id,
                         after={"activity": activity.pk, "stars": stars})
            period_apply(contract=activity.contract, day=activity.date, stars=stars, now=now)
    except IntegrityError:
        raise DomainError(ERR_ALREADY) from None
    return rating
