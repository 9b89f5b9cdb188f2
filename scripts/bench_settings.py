"""Settings and URLs for scripts/benchmark_ratings.py only: never for a real deployment.

The project's own settings, with:

* the rating page's per-address limit switched off (``HEZUO_RATING_POSTS_PER_MINUTE = 0``):
  the load comes from one address, and the limit would turn almost every POST into a 429;
* persistent database connections, as a deployment behind gunicorn would keep them,
  for the rating page and the baseline alike;
* the baseline: ``POST /bench/insert/``, a bare Django view that does one INSERT and
  redirects, through the same middleware (CSRF included) as the rating page.

This module is also the URLconf (``ROOT_URLCONF``): the project's URLs plus the baseline.
The URL list is built on first use (PEP 562), once Django is set up.
"""

import os

from config.settings.base import *  # noqa: F403

SECRET_KEY = os.environ.get("SECRET_KEY") or "benchmark-only-key-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench_settings"
HEZUO_RATING_POSTS_PER_MINUTE = 0
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"handlers": [], "level": "WARNING"}}

BASELINE_TABLE = "bench_baseline_insert"


def baseline_insert(request):
    """Parse the same form, INSERT one row, redirect: the least a rating page could do."""
    from django.db import connection
    from django.http import HttpResponseNotAllowed, HttpResponseRedirect

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BASELINE_TABLE} (device, stars, comment, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, now())",
            [
                request.COOKIES.get("hz_device", "")[:200],
                int(request.POST.get("stars") or 0),
                request.POST.get("comment", "")[:500],
            ],
        )
    return HttpResponseRedirect(request.path)


def __getattr__(name):
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("bench/insert/", baseline_insert), path("", include("config.urls"))]
    raise AttributeError(name)
