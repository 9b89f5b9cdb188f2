#!/usr/bin/env python
"""Time the audit desk's tables and exports on a large palace (not a test; prints figures).

    .venv/bin/python scripts/benchmark_desk.py                       # 50,000 events, 5,000 documents
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hezuo .venv/bin/python scripts/benchmark_desk.py

On a throw-away test database (in-memory SQLite, or ``test_<name>`` on the server of
``DATABASE_URL``) it writes ``--events`` audit events and ``--documents`` issued documents,
split between Wenshang (``--wenshang-share``) and Foshan, and as Wenshang's auditor measures:

* the first page of every desk table: time and queries (which must not depend on the row count);
* the CSV and the XLSX export of ``--export-rows`` audit events: time and peak Python memory
  (tracemalloc), with the body consumed as a client would read it.

The bulk ZIP of documents has its own benchmark: scripts/benchmark_desk_zip.py.
"""

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--documents", type=int, default=5_000)
    parser.add_argument("--export-rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return run(args, connection)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def populate(args):
    import hashlib
    from datetime import timedelta

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from core.models import AuditEvent, IssuedDocument, Role
    from tests.factories import PalaceFactory, staff

    wenshang, foshan = PalaceFactory(wenshang=True), PalaceFactory(foshan=True)
    auditor = staff(wenshang, Role.AUDITOR, "bench-ws-auditor")
    now = timezone.now()
    # The export's rows: --export-rows events at Wenshang on one day, the rest elsewhere or earlier.
    export_day = now - timedelta(days=1)
    events = []
    for i in range(args.events):
        at_wenshang = i < args.export_rows or i % 2 == 0
        created = export_day if i < args.export_rows else now - timedelta(days=2 + i % 300, minutes=i % 1440)
        seq = i + 1
        events.append(
            AuditEvent(
                seq=seq,
                created_at=created,
                actor=None,
                actor_label="system",
                palace=wenshang if at_wenshang else foshan,
                object_type="contracts.Contract",
                object_id=str(i % 400 + 1),
                object_repr=f"WENSHANG-HT-2026-{i % 400:03d}",
                action="contract.updated",
                before={"amount": "1.00"},
                after={"amount": "2.00"},
                prev_hash=f"{seq - 1:064x}",
                hash=f"{seq:064x}",
            )
        )
    AuditEvent.objects.bulk_create(events, batch_size=5000)
    palace_type = ContentType.objects.get_for_model(type(wenshang))
    docs = []
    for i in range(args.documents):
        digest = hashlib.sha256(str(i).encode()).hexdigest()
        docs.append(
            IssuedDocument(
                kind=IssuedDocument.Kind.MONTHLY_SUMMARY,
                title=f"实时评价月度小结（第{i}号）",
                palace=wenshang if i % 2 else foshan,
                content_type=palace_type,
                object_id=str(i),
                sha256=digest,
                size=100_000,
                file=f"documents/{digest[:2]}/{digest}.pdf",
                issued_at=now - timedelta(hours=i),
            )
        )
    IssuedDocument.objects.bulk_create(docs, batch_size=2000)
    return auditor, export_day


def run(args, connection) -> int:
    from django.db import reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from core.registry import desk_tables

    start = time.perf_counter()
    auditor, export_day = populate(args)
    print(
        f"database: {connection.vendor}; {args.events:,} audit events and {args.documents:,} documents "
        f"written in {time.perf_counter() - start:.1f} s"
    )
    client = Client()
    client.force_login(auditor)
    client.get(reverse("desk:index"))

    print(f"\nfirst page of each desk table (as Wenshang's auditor; best of {args.repeat})")
    print(f"{'table':<14}{'rows':>9}{'queries':>9}{'time':>10}")
    for view in desk_tables():
        url = reverse("desk:table", args=[view.slug])
        best = None
        for _ in range(args.repeat):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - t0
            assert response.status_code == 200, (view.slug, response.status_code)
            best = elapsed if best is None else min(best, elapsed)
        rows = response.context["result_count"]
        print(f"{view.slug:<14}{rows:>9,}{len(queries):>9}{best * 1000:>8.0f} ms")

    day = timezone.localtime(export_day).date().isoformat()
    params = {"date_from": day, "date_to": day}
    print(f"\nexport of the audit events of {day} ({args.export_rows:,} rows)")
    print(f"{'format':<8}{'time':>10}{'peak memory':>14}{'bytes':>14}")
    url = reverse("desk:table", args=["audit"])
    for fmt in ("csv", "xlsx"):
        # Timed on its own: tracemalloc slows Python down several times over.
        t0 = time.perf_counter()
        response = client.get(url, {**params, "_export": fmt})
        size = sum(len(chunk) for chunk in response.streaming_content)
        elapsed = time.perf_counter() - t0
        tracemalloc.start()
        response = client.get(url, {**params, "_export": fmt})
        for _chunk in response.streaming_content:
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{fmt:<8}{elapsed:>8.2f} s{peak / 2**20:>11.1f} MiB{size:>14,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
