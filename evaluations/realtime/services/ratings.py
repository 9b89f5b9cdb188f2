"""Worker satisfaction (DOMAIN.md §4): 1–5 stars from a public link, one per device per activity.

A rating is an ordinary write on every database: one transaction through the ORM that
stores the rating, records its audit event (``core.audit.record``) and adds it to the
month's score (``period.period_apply``, the code every input shares). See ``rating_submit``.
"""

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Activity, Contract
from core import audit
from core.errors import DomainError
from evaluations.realtime.models import Rating, RatingLink
from evaluations.realtime.services.period import period_apply

RATING_WINDOW_DAYS = 14
COMMENT_MAX = 500

ERR_LINK = _("This rating link is not valid. Please scan the QR code at the activity again.")
ERR_TOO_OLD = _("This activity took place more than %(days)d days ago, so it can no longer be rated.")
ERR_NOT_YET = _("This activity has not taken place yet.")
ERR_STARS = _("Choose from 1 to 5 stars.")
ERR_ALREADY = _("Thank you, this device has already rated this activity.")
ERR_CLOSED = _("Ratings for this service are closed.")
ERR_FULL = _(
    "This activity already has as many ratings as the %(participants)d people who attended it, "
    "so it cannot take another."
)


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
    if activity.contract.state not in Contract.IN_FORCE:
        return str(ERR_CLOSED)
    return ""


def find_link(token: str) -> RatingLink | None:
    """The link with its activity, contract and provider: everything its page shows."""
    if not token or len(token) > 64:
        return None
    return (
        RatingLink.objects.select_related("activity__contract", "activity__contract__provider")
        .filter(token=token)
        .first()
    )


ONCE_PER_DEVICE = "rating_once_per_device"


def _is_repeat(exc: IntegrityError) -> bool:
    """Whether the Rating INSERT broke ``rating_once_per_device`` (and nothing else)."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL names the constraint
        return diag.constraint_name == ONCE_PER_DEVICE
    table = Rating._meta.db_table  # SQLite names the columns
    return f"UNIQUE constraint failed: {table}.activity_id, {table}.device" in str(exc)


def _is_stars(stars) -> bool:
    return type(stars) is int and 1 <= stars <= 5  # not a bool: True would be hashed as true, stored as 1


def attendance(activity: Activity) -> int:
    """How many people an activity can have ratings from (DOMAIN.md §4): no more than attended it.

    Check-ins are not recorded yet (DOMAIN.md §8), and an activity has no planned capacity of its
    own, so this is the participant count its service report gives.
    """
    return activity.participants


def _check_attendance(link: RatingLink) -> None:
    """Refuse a rating past the activity's attendance; inside the rating's transaction.

    The link's row is locked first (FOR NO KEY UPDATE: the key-share locks of foreign keys do
    not wait for it), then the ratings are counted in a statement of their own: in READ
    COMMITTED a statement sees what committed before it began, so the count taken after the
    lock includes the rating of whoever held it. SQLite writes one transaction at a time anyway.
    The participant count is read afresh, as a report's re-save may have changed it.
    """
    RatingLink.objects.select_for_update(no_key=True).filter(pk=link.pk).values_list("pk").first()
    activity = Activity.objects.annotate(rated=Count("ratings")).only("participants").get(pk=link.activity_id)
    if activity.rated >= attendance(activity):
        raise DomainError(ERR_FULL % {"participants": attendance(activity)})


def rating_submit(
    *,
    token: str = "",
    link: RatingLink | None = None,
    stars: int,
    comment: str,
    device_id: str,
    now: datetime | None = None,
) -> Rating:
    """A worker's rating: checked, stored once per device, and added to the month's score at once.

    ``link`` is the page's link as ``find_link`` loaded it, so it is not read twice; without
    it, ``token`` is looked up. ``now`` decides the day (the link's window, a failing month's
    order); the rows are stamped with the clock.

    One transaction (a savepoint inside a caller's), with the locks in the order every
    audited input of a month takes them, so none can deadlock with another:

    1. the rating's INSERT, and on PostgreSQL its foreign keys checked at once
       (``check_constraints``): the key-share locks on its activity and contract are taken
       now, holding nothing else, rather than at COMMIT while holding the audit head (a
       service that locks the contract and then waits for the head would deadlock with it);
    2. the audit event (``audit.record`` takes the chain's head);
    3. the month (``period_apply``: its row locked, its sums, score and standing written,
       and a failing month's rectification order issued).

    Before the INSERT, the link's row is locked and the activity's ratings counted against its
    attendance (``_check_attendance``); only ratings take that lock, so it adds no cycle to the
    order above, and two ratings for the last place wait for each other: one is stored.

    A second rating from the same device (a replay, or its other POST winning the race)
    breaks ``rating_once_per_device`` and is the domain error ``ERR_ALREADY``; any other
    integrity error propagates.
    """
    now = now or timezone.now()
    if not _is_stars(stars):
        raise DomainError(ERR_STARS, field="stars")
    comment = comment.strip()[:COMMENT_MAX]
    if link is None:
        link = find_link(token)
    problem = rating_problem(link, now)
    if problem:
        raise DomainError(problem)
    activity = link.activity
    contract = activity.contract
    try:
        with transaction.atomic():
            _check_attendance(link)
            rating = Rating.objects.create(
                activity=activity, contract=contract, stars=stars, comment=comment, device=device_key(device_id)
            )
            conn = transaction.get_connection()
            if conn.features.has_select_for_update:  # row locks (PostgreSQL); SQLite locks the whole file
                conn.check_constraints()
            audit.record(
                actor=None,
                action="rating.submitted",
                obj=rating,
                palace=activity.palace_id,
                after={"activity": activity.pk, "stars": stars},
            )
            period_apply(contract=contract, day=activity.date, stars=stars, now=now)
    except IntegrityError as exc:
        if _is_repeat(exc):
            raise DomainError(ERR_ALREADY) from None
        raise
    return rating
