"""Hand-built SVG charts of a contract's monthly scores: the term's trend, and a sparkline for tables.

No JavaScript and no chart library: the SVG is written here, every text in it escaped,
and it reads without colour too. Each month is a point with a ``<title>`` (month, score
and standing in words), the 60 and 80 lines are drawn and labelled, and a month with a
red line is marked with the words "red line", not only in red.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from math import ceil

from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from evaluations.realtime import scoring

COLOURS = {"green": "#2e7d32", "amber": "#c77700", "red": "#b71c1c", "none": "#9e9e9e"}
BANDS = (  # (from, to, fill): the three standings as background bands
    (scoring.GREEN_FROM, scoring.HUNDRED, "#e8f5e9"),
    (scoring.PASS_MARK, scoring.GREEN_FROM, "#fff8e1"),
    (Decimal(0), scoring.PASS_MARK, "#ffebee"),
)


@dataclass(frozen=True)
class TrendPoint:
    """One month of the term as the charts draw it."""

    month: date
    score: Decimal | None
    standing: str  # green | amber | red | none
    red_lines: int = 0
    current: bool = False  # the month under way: its score is so far


def standing_word(standing: str) -> str:
    return str(
        {"green": _("Good"), "amber": _("Needs attention"), "red": _("Failing")}.get(standing, _("No score yet"))
    )


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _point_title(p: TrendPoint) -> str:
    month = f"{p.month:%Y-%m}"
    if p.score is None:
        text = _("%(month)s: no score") % {"month": month}
    else:
        text = _("%(month)s: %(score)s points, %(standing)s") % {
            "month": month,
            "score": f"{p.score:.2f}",
            "standing": standing_word(p.standing),
        }
    parts = [text]
    if p.red_lines:
        parts.append(_("red line recorded"))
    if p.current:
        parts.append(_("month under way"))
    return " · ".join(parts)


def score_label(score: Decimal) -> str:
    """A month's score on a chart: one decimal at most, cut rather than rounded.

    Cut, so that a label never shows a month reaching a line it did not reach: 79.66 reads
    79.6 in the amber band, not 80 on the green line; 59.99 reads 59.9, a fail.
    """
    cut = Decimal(score).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return f"{cut:.0f}" if cut == cut.to_integral_value() else f"{cut:.1f}"


def trend_chart(
    points: Sequence[TrendPoint], *, title: str, width: int = 720, height: int = 260, chart_id: str = "trend"
) -> SafeString:
    """The term's monthly scores: months across, 0–100 up, the 60 and 80 lines, red-line months marked."""
    left, right, top, bottom = 40, 14, 18, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points), 1)
    step = plot_w / n

    def x(i: int) -> float:
        return left + (i + 0.5) * step

    def y(v: Decimal | float) -> float:
        return top + (100 - float(v)) / 100 * plot_h

    parts: list[str] = []
    summary = ", ".join(
        f"{p.month:%Y-%m} {score_label(p.score)}" if p.score is not None else f"{p.month:%Y-%m} –" for p in points
    )
    parts.append(
        format_html(
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
            chart_id,
            title,
            chart_id,
            _("Monthly scores of the term: %(scores)s. Below 60 fails; 80 and above is good.")
            % {"scores": summary or "—"},
        )
    )
    # The standings as bands, then the grid and the 60 / 80 lines.
    for lo, hi, fill in BANDS:
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                left,
                _n(y(hi)),
                _n(plot_w),
                _n(y(lo) - y(hi)),
                fill,
            )
        )
    for v in (0, 20, 40, 100):
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e0e0e0" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="end" class="hz-chart__tick">{}</text>',
                left,
                left + plot_w,
                _n(y(v)),
                _n(y(v)),
                left - 6,
                _n(y(v) + 4),
                v,
            )
        )
    for v, colour in ((scoring.PASS_MARK, COLOURS["red"]), (scoring.GREEN_FROM, COLOURS["green"])):
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1.5" stroke-dasharray="5 4"/>'
                '<text x="{}" y="{}" text-anchor="end" class="hz-chart__tick hz-chart__tick--mark" fill="{}">{}</text>',
                left,
                left + plot_w,
                _n(y(v)),
                _n(y(v)),
                colour,
                left - 6,
                _n(y(v) + 4),
                colour,
                f"{v:.0f}",
            )
        )
    # Red-line months: a stripe with the words, so it is not told by colour alone. The words go at the
    # top of the stripe, or at its foot when a high score's value label would sit on them.
    for i, p in enumerate(points):
        if p.red_lines:
            flag_y = top + plot_h - 5 if p.score is not None and p.score >= scoring.GREEN_FROM else top + 11
            parts.append(
                format_html(
                    '<g class="hz-chart__redline"><title>{}</title>'
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#b71c1c" fill-opacity=".12"/>'
                    '<text x="{}" y="{}" text-anchor="middle" class="hz-chart__flag" fill="#b71c1c">{}</text></g>',
                    _point_title(p),
                    _n(x(i) - step / 2 + 1),
                    top,
                    _n(step - 2),
                    plot_h,
                    _n(x(i)),
                    flag_y,
                    _("red line"),
                )
            )
    # The line joins consecutive scored months; a month without a score breaks it.
    path, pen = [], "M"
    for i, p in enumerate(points):
        if p.score is None:
            pen = "M"
            continue
        path.append(f"{pen}{_n(x(i))} {_n(y(p.score))}")
        pen = "L"
    if path:
        parts.append(
            format_html(
                '<path d="{}" fill="none" stroke="#424242" stroke-width="2" stroke-linejoin="round"/>', " ".join(path)
            )
        )
    label_every = ceil(n / 12)
    show_values = n <= 18
    for i, p in enumerate(points):
        colour = COLOURS.get(p.standing, COLOURS["none"])
        if p.score is None:
            mark = format_html(
                '<circle cx="{}" cy="{}" r="4" fill="#fff" stroke="{}" stroke-width="1.5" stroke-dasharray="2 2"/>',
                _n(x(i)),
                _n(y(0)),
                colour,
            )
        else:
            mark = format_html(
                '<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="#fff" stroke-width="1.5"/>',
                _n(x(i)),
                _n(y(p.score)),
                6 if p.current else 5,
                colour,
            )
            if show_values:
                # Above the point, unless that would sit on the 60 or 80 line: then below it.
                label_y = y(p.score) - 9
                if any(abs(label_y - 4 - y(mark_at)) < 6 for mark_at in (scoring.PASS_MARK, scoring.GREEN_FROM)):
                    label_y = y(p.score) + 17
                mark += format_html(
                    '<text x="{}" y="{}" text-anchor="middle" class="hz-chart__value">{}</text>',
                    _n(x(i)),
                    _n(label_y),
                    score_label(p.score),
                )
        parts.append(
            format_html(
                '<g class="hz-chart__point" data-month="{}" data-standing="{}"><title>{}</title>{}</g>',
                f"{p.month:%Y-%m}",
                p.standing,
                _point_title(p),
                mark,
            )
        )
        if i % label_every == 0 or p.current:
            label = date_format(p.month, "M")
            year = f"{p.month:%Y}" if i == 0 or p.month.month == 1 else ""
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" class="hz-chart__tick">{}</text>',
                    _n(x(i)),
                    top + plot_h + 16,
                    label,
                )
            )
            if year:
                parts.append(
                    format_html(
                        '<text x="{}" y="{}" text-anchor="middle" class="hz-chart__tick">{}</text>',
                        _n(x(i)),
                        top + plot_h + 31,
                        year,
                    )
                )
    body = mark_safe("".join(str(part) for part in parts))  # noqa: S308  (every part is format_html-escaped)
    return format_html(
        '<svg class="hz-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-title {}-desc" preserveAspectRatio="xMidYMid meet">{}</svg>',
        width,
        height,
        chart_id,
        chart_id,
        body,
    )


def sparkline(points: Sequence[TrendPoint], *, width: int = 96, height: int = 26) -> SafeString:
    """A small line of the term's monthly scores for a table cell, the last month as a coloured dot."""
    scored = [(i, p) for i, p in enumerate(points) if p.score is not None]
    label = _("Monthly scores of the term: %(scores)s") % {
        "scores": ", ".join(score_label(p.score) for _i, p in scored) or "—"
    }
    if not scored:
        return format_html('<span class="hz-muted" title="{}">—</span>', label)
    pad = 3
    n = max(len(points) - 1, 1)

    def x(i: int) -> float:
        return pad + i * (width - 2 * pad) / n

    def y(v: Decimal | float) -> float:
        return pad + (100 - float(v)) / 100 * (height - 2 * pad)

    line = " ".join(f"{_n(x(i))},{_n(y(p.score))}" for i, p in scored)
    last_i, last = scored[-1]
    red = "".join(
        str(
            format_html(
                '<rect x="{}" y="0" width="3" height="{}" fill="#b71c1c" fill-opacity=".35"/>', _n(x(i) - 1.5), height
            )
        )
        for i, p in enumerate(points)
        if p.red_lines
    )
    return format_html(
        '<svg class="hz-spark" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" '
        'role="img" aria-label="{}"><title>{}</title>{}'
        '<line x1="0" x2="{}" y1="{}" y2="{}" stroke="#b71c1c" stroke-opacity=".4" stroke-dasharray="2 2"/>'
        '<polyline points="{}" fill="none" stroke="#616161" stroke-width="1.5" stroke-linejoin="round"/>'
        '<circle cx="{}" cy="{}" r="3" fill="{}"/></svg>',
        width,
        height,
        width,
        height,
        label,
        label,
        mark_safe(red),  # noqa: S308  (built with format_html)
        width,
        _n(y(60)),
        _n(y(60)),
        line,
        _n(x(last_i)),
        _n(y(last.score)),
        COLOURS.get(last.standing, COLOURS["none"]),
    )
