"""Evaluation and exit (DOMAIN.md §4–5): one Django app, cut by sub-domain.

Its packages import one way, from the bottom up (import-linter holds it, `make test` runs it):

    realtime        inspections, workers' ratings, red lines, the month's running score
    rectification   orders to rectify a failing month, re-inspection, termination reviews
    standing        the standing of contracts: dashboards, the evaluator's inbox, monthly summaries
    final           the final evaluation, its panel review, appeal, sign-off and renewal
    exit            the exit, its handover and exclusion, each provider's history

A lower package tells a higher one what happened through its ``signals`` module (a failing
month, a termination decided, a 差 made final), inside the same transaction. The modules at
this level (apps, desk, jobs, receivers, viewsets, and the ``models``/``services`` that gather
names for callers outside the app) may import every package; no package imports them.
"""
