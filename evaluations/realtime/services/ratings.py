"""Worker satisfaction (DOMAIN.md §4): 1–5 stars from a public link, one per device per activity.

A rating is the hottest write of the system (a hall of workers scanning the same code). On
PostgreSQL it is one call of the function ``hezuo_rating_submit`` (evaluations migration
0005); what that declines, and everything on SQLite, goes the ordinary way: a transaction of
hand-written statements, built once from the models' metadata, sent in two batches, holding
the audit head (which every audited write needs) for as short a time as it can. See
``rating_submit``.
"""

import functools
import hashlib
import hmac
import logging
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Activity, Contract
from core import audit
from core.errors import DomainError
from core.middleware import current_ip
from evaluations.realtime import scoring
from evaluations.realtime.models import Rating, RatingLink
from evaluations.realtime.services.period import (
    ORDERS_ISSUED_IN,
    model_from_row,
    period_change,
    period_create,
    period_from_row,
    period_lock,
    period_settle,
)

logger = logging.getLogger(__name__)

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
    if activity.contract.state not in Contract.IN_FORCE:
        return str(ERR_CLOSED)
    return ""


def find_link(token: str) -> RatingLink | None:
    """The link with its activity, contract and provider: everything its page shows."""
    if not token or len(token) > 64:
        return None
    return RatingLink.objects.select_related("activity__contract", "activity__contract__provider").filter(
        token=token).first()


# What a rating needs of its link, in one statement: the checks (the activity's day, the contract's
# state), the rating's own columns, its audit event (the activity's palace, date and title) and the
# month's row (the contract's palace, for its weights). Other fields are deferred: read on access.
_LINK_FIELDS = {
    model: [f for f in model._meta.concrete_fields if f.attname in wanted] for model, wanted in {
        RatingLink: {"id", "token", "activity_id"},
        Activity: {"id", "contract_id", "palace_id", "date", "title"},
        Contract: {"id", "number", "palace_id", "state"},
    }.items()
}
_SQL: dict[str, dict] = {}


def _sql(conn) -> dict:
    """The rating's own statements, built once per database from the models' metadata (names only)."""
    if conn.vendor not in _SQL:
        q = conn.ops.quote_name
        aliases = {RatingLink: "l", Activity: "a", Contract: "c"}
        columns = ", ".join(f"{aliases[model]}.{q(f.column)}" for model, fields in _LINK_FIELDS.items()
                            for f in fields)
        inserted = [f for f in Rating._meta.concrete_fields if not f.primary_key]
        _SQL[conn.vendor] = {
            "link": (f"SELECT {columns} FROM {q(RatingLink._meta.db_table)} l "  # noqa: S608
                     f"JOIN {q(Activity._meta.db_table)} a ON a.{q('id')} = l.{q('activity_id')} "
                     f"JOIN {q(Contract._meta.db_table)} c ON c.{q('id')} = a.{q('contract_id')} "
                     f"WHERE l.{q('token')} = %s"),
            "inserted": inserted,
            "keys": (f"SELECT 1 FROM {q(Activity._meta.db_table)} a, {q(Contract._meta.db_table)} c "  # noqa: S608
                     f"WHERE a.{q('id')} = %s AND c.{q('id')} = %s FOR KEY SHARE"),
            "insert": (f"INSERT INTO {q(Rating._meta.db_table)} ({', '.join(q(f.column) for f in inserted)}) "  # noqa: S608
                       f"VALUES ({', '.join(['%s'] * len(inserted))})"
                       + (f" RETURNING {q('id')}" if conn.features.can_return_columns_from_insert else "")),
        }
    return _SQL[conn.vendor]


def link_to_rate(token: str) -> RatingLink | None:
    """The link as a rating needs it (see _LINK_FIELDS), read with one statement the ORM need not build each time."""
    if not token or len(token) > 64:
        return None
    conn = transaction.get_connection()
    with conn.cursor() as cursor:
        cursor.execute(_sql(conn)["link"], [token])
        row = cursor.fetchone()
    if row is None:
        return None
    objects, start = {}, 0
    for model, fields in _LINK_FIELDS.items():
        objects[model] = model_from_row(model, fields, row[start:start + len(fields)])
        start += len(fields)
    link, activity = objects[RatingLink], objects[Activity]
    activity.contract, link.activity = objects[Contract], activity
    return link


ONCE_PER_DEVICE = "rating_once_per_device"

# A rating's own transaction (never a caller's it runs inside) does not wait at COMMIT for its WAL
# to reach the disk (PostgreSQL only; hezuo_rating_submit does the same with set_config). The
# trade-off: if the database server crashes, the ratings answered "thank you" in roughly the last
# fraction of a second (up to 3 × wal_writer_delay) can be lost. Nothing becomes inconsistent: the
# rating, its month's update and its audit event are one transaction and are lost together, and
# WAL is replayed in order, so no surviving event can chain onto a lost one and the month's row
# always equals its recompute. Every other transaction keeps full durability (and its synchronous
# commit flushes all WAL written before it, ratings included).
COMMIT_WITHOUT_WAITING = "SET LOCAL synchronous_commit TO OFF"


def _is_repeat(exc: IntegrityError) -> bool:
    """Whether the Rating INSERT broke ``rating_once_per_device`` (and nothing else)."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL names the constraint
        return diag.constraint_name == ONCE_PER_DEVICE
    table = Rating._meta.db_table  # SQLite names the columns
    return f"UNIQUE constraint failed: {table}.activity_id, {table}.device" in str(exc)


def _send(conn, statements: list[tuple[str, list]], read: tuple[int, ...] = ()) -> list[tuple | None]:
    """Run the statements in order, in one round trip on PostgreSQL; the first row of each statement in ``read``.

    They go as one simple-protocol query (Django's psycopg cursor binds parameters
    client-side), so the server runs them one after the other inside the transaction and
    the first that fails stops the rest. On SQLite (or with server-side binding, whose
    prepared statements take one command each), one after another.
    """
    rows = []
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql" and not conn.settings_dict["OPTIONS"].get("server_side_binding"):
            cursor.execute("; ".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
            at = 0
            for i in read:
                for _skipped in range(i - at):
                    cursor.nextset()
                rows.append(cursor.fetchone())
                at = i
        else:
            for i, (sql, params) in enumerate(statements):
                cursor.execute(sql, params)
                if i in read:
                    row = cursor.fetchone()
                    if row is None and sql.startswith("INSERT"):  # SQLite before 3.35: no RETURNING
                        row = (cursor.lastrowid,)
                    rows.append(row)
    return rows


# --- one statement on PostgreSQL (the function of migration 0005) ----------------------------------

UNDEFINED_FUNCTION = "42883"  # a database not migrated this far: ratings go the ordinary way, with a warning
PIECE_SEPARATOR = "\x1f"  # never in canonical JSON text, which escapes every control character


def in_database(conn) -> bool:
    """Whether ratings go through ``hezuo_rating_submit`` (PostgreSQL; settings.HEZUO_RATING_IN_DATABASE)."""
    return conn.vendor == "postgresql" and getattr(settings, "HEZUO_RATING_IN_DATABASE", True)


@functools.cache
def _event_template() -> audit.DigestTemplate:
    """A rating's audit event as ``audit.record`` writes it, with blanks for what differs from one to the next."""
    from core.models import AuditEvent

    blank = audit.blank
    event = AuditEvent(seq=blank("seq"), created_at=timezone.now(), actor=None, actor_label="system", ip=blank("ip"),
                       palace_id=blank("palace_id"), object_type=Rating._meta.label, object_id=blank("object_id"),
                       object_repr=blank("object_repr"), action="rating.submitted", before=None,
                       after={"activity": blank("activity"), "stars": blank("stars")}, prev_hash=blank("prev_hash"))
    return audit.digest_template(event, blank_fields=("created_at",))


@functools.cache
def _call() -> str:
    """The function's call, with the rules' constants written in once (the blanks it fills in among them)."""
    from psycopg import sql

    in_database_blanks = _event_template().fill(created_at="", ip="", stars=0).names
    constants = [list(in_database_blanks), list(Contract.IN_FORCE), list(ORDERS_ISSUED_IN),
                 "score", scoring.SATISFACTION_MIN_RATINGS,
                 [int(scoring.DEFAULT_WEIGHTS[n]) for n in scoring.INDICATORS], scoring.PASS_MARK, scoring.GREEN_FROM]
    text = sql.SQL("SELECT rating_id, activity_id, contract_id, declined FROM hezuo_rating_submit(%s::text, "
                   "%s::integer, %s::integer, %s::text, %s::text, %s::timestamptz, %s::date, %s::date, %s::boolean, "
                   "%s::text, {})").format(sql.SQL(", ").join(sql.Literal(value) for value in constants)).as_string()
    return text


def _on_its_own(conn) -> bool:
    """Whether the rating is its own transaction (not inside a caller's)."""
    return conn.get_autocommit() and not conn.in_atomic_block


def _submit_in_database(conn, *, token: str, stars: int, comment: str, device: str, now: datetime) -> Rating | None:
    """The rating in one statement, or None when the function leaves it to the ordinary path.

    ``now`` decides the day (the window's checks); the rows are stamped with the clock, as
    the ordinary path stamps them. Outside a transaction the statement is its own, and its
    COMMIT does not wait for the disk (see COMMIT_WITHOUT_WAITING); inside the caller's, it
    runs in a savepoint and leaves the caller's commit as it is.
    """
    today = timezone.localdate(now)
    stamp = timezone.now()
    on_its_own = _on_its_own(conn)
    ip = audit.clean_ip(current_ip())
    call = _call()
    event = _event_template().fill(created_at=stamp.astimezone(UTC).isoformat(), ip=ip, stars=stars)
    params = [token, stars, int(scoring.stars_to_points(stars)), comment, device, stamp,
              today - timedelta(days=RATING_WINDOW_DAYS), today, on_its_own, PIECE_SEPARATOR.join(event.pieces)]
    try:
        with transaction.atomic(using=conn.alias) if not on_its_own else nullcontext():
            with conn.cursor() as cursor:
                cursor.execute(call, params)
                rating_id, activity_id, contract_id, declined = cursor.fetchone()
    except IntegrityError as exc:
        if _is_repeat(exc):  # this device's other POST got in between the check and the INSERT
            raise DomainError(ERR_ALREADY) from None
        raise
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != UNDEFINED_FUNCTION:
            raise
        _warn_not_migrated()
        return None
    if declined == "repeat":
        raise DomainError(ERR_ALREADY)
    if declined:
        return None
    rating = Rating(id=rating_id, activity_id=activity_id, contract_id=contract_id, stars=stars, comment=comment,
                    device=device, created_at=stamp)
    rating._state.adding = False
    return rating


@functools.cache
def _warn_not_migrated() -> None:
    logger.warning("hezuo_rating_submit is missing (run manage.py migrate): ratings take the slower Python path")


def _is_stars(stars) -> bool:
    return type(stars) is int and 1 <= stars <= 5  # not a bool: True would be hashed as true, stored as 1


def rating_submit(*, token: str = "", link: RatingLink | None = None, stars: int, comment: str, device_id: str,
                  now: datetime | None = None) -> Rating:
    """A worker's rating: checked, stored once per device, and added to the month's score at once.

    ``link`` is the page's link as ``link_to_rate`` (or ``find_link``) loaded it, so it is not
    read twice; without it, ``token`` is looked up.

    On PostgreSQL the common case is one statement, ``hezuo_rating_submit`` (migration
    0005 says what it does and what it leaves to this code); ``link`` given, or the
    function declining, the rating goes the ordinary way below.

    The ordinary way is one transaction, in two round trips before its COMMIT on PostgreSQL:

    1. the rating's INSERT; the key-share locks its foreign keys and its audit event's need
       (activity, contract, palace); the audit head's lock; the month's row lock with the
       palace's weights. Locks are taken in the order every other input takes them: the
       contract (if it waits, it waits holding nothing), then the head, then the month, so
       a red line, an inspection, a report or a weights change on the same month cannot
       deadlock with it (the head first is also why the weights read are the ones in force);
    2. the audit event with the head moved, and the month's new sums, score and standing.

    Only the INSERT's ``rating_once_per_device`` violation means "already rated"; any other
    error propagates. The COMMIT does not wait for the disk (``COMMIT_WITHOUT_WAITING``).
    """
    now = now or timezone.now()
    conn = transaction.get_connection()  # the connection itself: each use of the proxy looks it up again
    comment = comment.strip()[:COMMENT_MAX]
    if not _is_stars(stars):
        raise DomainError(ERR_STARS, field="stars")
    if link is None and in_database(conn):
        rating = _submit_in_database(conn, token=token, stars=stars, comment=comment, device=device_key(device_id),
                                     now=now)
        if rating is not None:
            return rating
    if link is None:
        link = link_to_rate(token)
    problem = rating_problem(link, now)
    if problem:
        raise DomainError(problem)
    activity = link.activity
    contract = activity.contract
    rating = Rating(activity=activity, contract=contract, stars=stars, comment=comment,
                    device=device_key(device_id), created_at=timezone.now())
    sql = _sql(conn)
    # Its own transaction's COMMIT only: inside a caller's, the caller's commit keeps its durability.
    first = [(COMMIT_WITHOUT_WAITING, [])] if conn.vendor == "postgresql" and _on_its_own(conn) else []
    first.append((sql["insert"], [f.get_db_prep_save(getattr(rating, f.attname), conn) for f in sql["inserted"]]))
    inserted = len(first) - 1
    if conn.features.has_select_for_update:
        # The key-share locks the rating's foreign keys need when they are checked (at COMMIT), taken
        # before the audit head: a red line or an inspection locks the contract FOR UPDATE, then waits
        # for the head; holding the head while waiting for that contract would deadlock.
        first.append((sql["keys"], [activity.pk, contract.pk]))
    first += audit.head_statements(palace=activity.palace_id)
    first.append(period_lock(contract, activity.date))
    with transaction.atomic():
        try:
            (rating.pk,), head, period_row = _send(conn, first, read=(inserted, len(first) - 2, len(first) - 1))
        except IntegrityError as exc:
            if _is_repeat(exc):
                raise DomainError(ERR_ALREADY) from None
            raise
        rating._state.adding = False
        event = {"actor": None, "action": "rating.submitted", "obj": rating, "palace": activity.palace_id,
                 "after": {"activity": activity.pk, "stars": stars}}
        if head is None:  # the chain's first event ever: record() creates its head
            audit.record(**event)
            second = []
        else:
            _event, second = audit.chain_event(head, **event)
        period = period_from_row(period_row, contract) if period_row else period_create(contract, activity.date)
        result, write = period_change(period, stars=stars)
        _send(conn, [*second, write])
        period_settle(period, result, now=now)
    return rating
