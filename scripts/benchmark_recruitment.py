#!/usr/bin/env python
"""Time compilation and the tender report PDF on a large recruitment (not a test; prints figures).

    .venv/bin/python scripts/benchmark_recruitment.py              # 30 applicants × 7 evaluators × 10 criteria
    .venv/bin/python scripts/benchmark_recruitment.py --applicants 4 --evaluators 5 --criteria 5 \\
        --recusals 1 --outlier --correction --pdf /tmp/report.pdf

The recruitment is built through the services by ``tests/recruitment_builders.py``
on a throw-away test database: in-memory SQLite, or ``test_<name>`` on the
server of ``DATABASE_URL`` when that is set. The target is compilation plus
PDF issue under 2 s together. Each figure is the best of ``--repeat`` runs of
a recompilation (as after an approved correction), which issues a new version.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

TARGET_SECONDS = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=30)
    parser.add_argument("--evaluators", type=int, default=7)
    parser.add_argument("--criteria", type=int, default=10, help="including the price criterion")
    parser.add_argument("--recusals", type=int, default=0)
    parser.add_argument("--outlier", action="store_true", help="one outlying score, justified")
    parser.add_argument("--correction", action="store_true", help="approve one correction (version 2)")
    parser.add_argument("--no-comments", action="store_true", help="evaluators write no comments")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf", type=Path, help="also write the latest report here")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return run(args, connection, transaction)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def run(args, connection, transaction) -> int:
    from django.test.utils import CaptureQueriesContext

    from core import documents as core_documents
    from core.documents import document_bytes
    from core.models import IssuedDocument
    from procurement import documents as procurement_documents
    from procurement.services.compilation import recruitment_compile
    from tests.recruitment_builders import RecruitmentBuilder, Stage

    timings: dict[str, float] = {}

    def timed(label, fn):
        def wrapper(*a, **kw):
            start = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                timings[label] = time.perf_counter() - start

        return wrapper

    procurement_documents._tender_report_context = timed("report data", procurement_documents._tender_report_context)
    core_documents.render_pdf = timed("render (WeasyPrint)", core_documents.render_pdf)

    start = time.perf_counter()
    builder = RecruitmentBuilder(
        applicants=args.applicants,
        evaluators=args.evaluators,
        criteria=args.criteria,
        recusals=args.recusals,
        outlier=args.outlier,
        comments=not args.no_comments,
    )
    builder.advance_to(Stage.COMPILED)
    if args.correction:
        builder.correct_score()
    built = time.perf_counter() - start
    recruitment = builder.recruitment
    scores = recruitment.panel.exclude(state="recused").count() * len(builder.applications) * (args.criteria - 1)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(
        f"recruitment {recruitment.number}: {len(builder.applications)} applicants × "
        f"{len(builder.members)} evaluators × {args.criteria} criteria ({scores} scores), "
        f"built through the services in {built:.2f} s"
    )

    runs = []
    for _ in range(args.repeat):
        timings.clear()
        with CaptureQueriesContext(connection) as queries:
            t0, cpu0 = time.perf_counter(), time.process_time()
            with transaction.atomic():
                recruitment_compile(recruitment=recruitment, actor=builder.admin)
                t1 = time.perf_counter()
            # Leaving the block committed, and the commit ran issue_tender_report.
            t2, cpu2 = time.perf_counter(), time.process_time()
        runs.append({"compile": t1 - t0, "issue": t2 - t1, "cpu": cpu2 - cpu0, **timings, "queries": len(queries)})
    best = min(runs, key=lambda r: r["compile"] + r["issue"])
    doc = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.TENDER_REPORT).order_by("-version").first()
    data = document_bytes(doc)
    import io

    import pypdf

    pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    total = best["compile"] + best["issue"]
    print(f"compile (rank, lock):        {best['compile']:.3f} s")
    print(f"issue PDF:                   {best['issue']:.3f} s")
    print(f"  of which report data:      {best.get('report data', 0):.3f} s")
    print(f"  of which render:           {best.get('render (WeasyPrint)', 0):.3f} s")
    print(
        f"compile + PDF:               {total:.3f} s (target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if total < TARGET_SECONDS else 'MISSED'}); best of {len(runs)}, {best['queries']} queries"
    )
    # On a shared machine the wall clock counts other processes' turns too; this does not.
    print(
        f"CPU time of this process:    {best['cpu']:.3f} s (load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs)"
    )
    print(f"PDF: version {doc.version}, {pages} pages, {doc.size / 1024:.0f} KiB")
    if args.pdf:
        args.pdf.write_bytes(data)
        print(f"written to {args.pdf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
