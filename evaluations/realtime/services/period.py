"""The running monthly score of a contract (DOMAIN.md §4), kept current by every input.

Each input service calls ``period_apply`` inside its own transaction with what it adds
(an inspection's score, a rating, a report's score, a red line). The month's row is
locked, its sums and counts move by that much, and the score is worked out again from
those sums: O(1) per input, whatever the length of the term. ``period_recompute``
rebuilds the same row from the sources, for checking.

``period_apply`` is three steps that a hot caller (a worker's rating) can send in its own
batches of statements: ``period_lock`` (one SELECT … FOR UPDATE that also reads the
palace's weights; ``period_from_row``, or ``period_create`` for the month's first input),
``period_change`` (the new sums, score and standing, and the one UPDATE that writes them)
and ``period_settle`` (a closed month's summary again, a failing month's order). Their
SQL is built once per database from the models' metadata, not by the ORM on each call.

When the month fails (below 60, or a red line) a rectification order is issued in the
same transaction: once per month for the score, once per red line.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, models, transaction
from django.db.models import Avg, Count, Sum
from django.utils import timezone

from contracts.models import Contract, ServiceReport
from contracts.selectors import kpi_progress
from evaluations.realtime import scoring
from evaluations.realtime.models import IndicatorWeights, Inspection, PeriodScore, Rating, RedLine
from evaluations.realtime.months import month_end, month_of, weights_for
from evaluations.realtime.signals import closed_month_changed, month_failed

# A failing month issues an order only before the final evaluation opens: in the last 30 days
# there is no time left to put it right, and the term's record goes to the final evaluation.
ORDERS_ISSUED_IN = (Contract.State.ACTIVE, Contract.State.RECTIFICATION)










def period_apply(*, contract: Contract, day: date, inspection: Decimal | None = None,
                 report: Decimal | None = None, stars: int | None = None, red_line: RedLine | None = None,
                 kpi: Decimal | None = None, actor=None, now=None) -> PeriodScore:
    """Add one input to the month of ``day`` and score the month again; issue an order if it fails.

    Must run inside the caller's transaction (the caller has written the input itself).
    The month's row is read once, locked; its new sums, score and standing are worked
    out here and written back in one UPDATE (``period_change``).
    """
    period = locked_period(contract, day)
    result, write = period_change(period, inspection=inspection, report=report, stars=stars, red_line=red_line,
                                  kpi=kpi)
    with connection.cursor() as cursor:
        cursor.execute(*write)
    period_settle(period, result, red_line=red_line, actor=actor, now=now)
    return period


def locked_period(contract: Contract, day: date) -> PeriodScore:
    """The month's row, created if need be, locked for this transaction, with the palace's weights.

    One ``SELECT … FOR UPDATE OF`` the row (``period_lock``) that also reads the palace's
    weights (as ``period.weights``); the row is inserted only when the month has none yet.
    """
    lock = period_lock(contract, day)
    with connection.cursor() as cursor:
        cursor.execute(*lock)
        row = cursor.fetchone()
    return period_from_row(row, contract) if row else period_create(contract, day)


def period_lock(contract: Contract, day: date) -> tuple[str, list]:
    """The statement that locks and reads the month's row and the palace's weights (no row: none yet).

    Every caller has taken the audit lock first (its input's event is recorded before the
    month moves), and weights_update changes the weights and rescores under that lock too:
    the weights read here are the ones in force when the caller's transaction commits.
    """
    return _period_sql(transaction.get_connection())["lock"], [contract.palace_id, contract.pk, month_of(day)]


def period_from_row(row: tuple, contract: Contract) -> PeriodScore:
    """The locked month as ``period_lock`` read it: the row, with ``weights`` and the caller's contract."""
    sql = _period_sql(transaction.get_connection())
    n = len(sql["columns"])
    period = model_from_row(PeriodScore, sql["columns"], row[:n])
    period.contract = contract  # the caller's row: not fetched again
    weights = row[n:]
    period.weights = (dict(scoring.DEFAULT_WEIGHTS) if weights[0] is None
                      else {name: Decimal(w) for name, w in zip(scoring.INDICATORS, weights, strict=True)})
    return period


def period_create(contract: Contract, day: date) -> PeriodScore:
    """The month's first input: its row inserted (unless a concurrent input did), then locked."""
    PeriodScore.objects.bulk_create([PeriodScore(contract=contract, month=month_of(day))], ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute(*period_lock(contract, day))
        return period_from_row(cursor.fetchone(), contract)


def period_change(period: PeriodScore, *, inspection: Decimal | None = None, report: Decimal | None = None,
                  stars: int | None = None, red_line: RedLine | None = None, kpi: Decimal | None = None,
                  ) -> tuple[scoring.PeriodResult, tuple[str, list]]:
    """One input added to the locked month: its new sums, score and standing, set on ``period``.

    Returns the result and the one UPDATE that writes them all.
    """
    if inspection is not None:
        period.inspections_total = _cents(period.inspections_total + inspection)
        period.inspections_count += 1
    if report is not None:
        period.reports_total = _cents(period.reports_total + report)
        period.reports_count += 1
    if stars is not None:
        period.ratings_total += int(scoring.stars_to_points(stars))
        period.ratings_count += 1
    if red_line is not None:
        period.red_lines += 1
    if kpi is not None:
        period.kpi = _cents(kpi)
    result = scoring.period_score(period.inputs(), period.weights)
    period.score, period.standing, period.updated_at = result.score, result.standing, timezone.now()
    conn = transaction.get_connection()  # the connection itself: each use of the proxy looks it up again
    sql = _period_sql(conn)
    values = [f.get_db_prep_save(getattr(period, f.attname), conn) for f in sql["written"]]
    return result, (sql["write"], [*values, period.pk])


def period_settle(period: PeriodScore, result: scoring.PeriodResult, *, red_line: RedLine | None = None,
                  actor=None, now=None) -> None:
    """What follows the month's write: a closed month's summary issued again, a failing month's order.

    Both are the business of the packages above (standing, rectification): they hear it through
    ``realtime.signals``, inside this transaction.
    """
    if period.closed:
        # A late input (a report reviewed after the month's summary was issued) changes a closed
        # month: its summary is issued again, as the next version, so the PDF never disagrees.
        closed_month_changed.send(sender=PeriodScore, period=period)
    if result.failed and period.contract.state in ORDERS_ISSUED_IN:
        month_failed.send(sender=PeriodScore, period=period, result=result, red_line=red_line, actor=actor,
                          now=now)


def kpi_indicator(contract: Contract, as_of: date) -> Decimal | None:
    """KPI progress as one 0–100 figure: the mean of the measured targets' delivery against pro-rata, capped."""
    rows = [r for r in kpi_progress(contract, today=as_of) if r.measured and r.due_to_date]
    if not rows:
        return None
    shares = [min(Decimal(100), r.delivered * 100 / r.due_to_date) for r in rows]
    return (sum(shares, Decimal(0)) / len(shares)).quantize(scoring.CENT, rounding=ROUND_HALF_UP)


def _cents(value) -> Decimal:
    """As the row's numeric(…, 2) columns store it, so the score is worked out on what is stored."""
    return Decimal(value).quantize(scoring.CENT, rounding=ROUND_HALF_UP)


def model_from_row(model, fields: list, values) -> models.Model:
    """An instance from a row of hand-written SQL, converted as the ORM converts what it reads."""
    conn = transaction.get_connection()
    converted = list(values)
    for i, column, converters in _converters(conn, model, tuple(fields)):
        for converter in converters:
            converted[i] = converter(converted[i], column, conn)
    return model.from_db(conn.alias, [f.attname for f in fields], converted)


_CONVERTERS: dict[tuple, list] = {}


def _converters(conn, model, fields: tuple) -> list:
    """The fields whose values this database returns in another type (SQLite: decimals, datetimes…)."""
    key = (conn.alias, model, fields)
    if key not in _CONVERTERS:
        found = []
        for i, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            converters = conn.ops.get_db_converters(column) + field.get_db_converters(conn)
            if converters:
                found.append((i, column, converters))
        _CONVERTERS[key] = found
    return _CONVERTERS[key]


_WRITTEN = ("inspections_total", "inspections_count", "reports_total", "reports_count", "ratings_total",
            "ratings_count", "kpi", "red_lines", "score", "standing", "updated_at")
_PERIOD_SQL: dict[str, dict] = {}


def _period_sql(conn) -> dict:
    """The month row's lock and write, built once per database from the models' metadata (names only)."""
    if conn.vendor not in _PERIOD_SQL:
        q = conn.ops.quote_name
        meta, weights = PeriodScore._meta, IndicatorWeights._meta
        columns = list(meta.concrete_fields)
        written = [meta.get_field(name) for name in _WRITTEN]
        lock = " FOR UPDATE OF p" if conn.features.has_select_for_update_of else ""
        _PERIOD_SQL[conn.vendor] = {
            "columns": columns,
            "lock": (f"SELECT {', '.join(f'p.{q(f.column)}' for f in columns)}, "  # noqa: S608
                     f"{', '.join(f'w.{q(name)}' for name in scoring.INDICATORS)} "
                     f"FROM {q(meta.db_table)} p LEFT JOIN {q(weights.db_table)} w ON w.{q('palace_id')} = %s "
                     f"WHERE p.{q('contract_id')} = %s AND p.{q('month')} = %s{lock}"),
            "written": written,
            "write": (f"UPDATE {q(meta.db_table)} SET "  # noqa: S608
                      f"{', '.join(f'{q(f.column)} = %s' for f in written)} WHERE {q('id')} = %s"),
        }
    return _PERIOD_SQL[conn.vendor]


def period_recompute(period: PeriodScore) -> PeriodScore:
    """The month rebuilt from its sources, unsaved: what ``period_apply`` must have kept."""
    contract, month = period.contract, period.month
    end = month_end(month)
    fresh = PeriodScore(pk=period.pk, contract=contract, month=month, kpi=period.kpi)
    insp = Inspection.objects.filter(contract=contract, state=Inspection.State.SUBMITTED, order__isnull=True,
                                     inspected_on__range=(month, end)).aggregate(t=Sum("score"), n=Count("id"))
    fresh.inspections_total, fresh.inspections_count = insp["t"] or 0, insp["n"]
    totals = [r.score for r in ServiceReport.objects.filter(
        contract=contract, score__isnull=False, period_start__lte=end, period_end__gte=month)]
    fresh.reports_total, fresh.reports_count = sum(totals, Decimal(0)), len(totals)
    ratings = Rating.objects.filter(contract=contract, activity__date__range=(month, end)).aggregate(
        a=Avg("stars"), n=Count("id"), s=Sum("stars"))
    fresh.ratings_count = ratings["n"]
    fresh.ratings_total = ((ratings["s"] or 0) - ratings["n"]) * 25
    fresh.red_lines = RedLine.objects.filter(contract=contract, occurred_on__range=(month, end)).count()
    result = scoring.period_score(fresh.inputs(), weights_for(contract.palace_id))
    fresh.score, fresh.standing = result.score, result.standing
    return fresh


def current_period(contract: Contract, today: date | None = None) -> PeriodScore | None:
    today = today or timezone.localdate()
    return PeriodScore.objects.filter(contract=contract, month=month_of(today)).first()
