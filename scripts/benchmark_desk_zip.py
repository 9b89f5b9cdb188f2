#!/usr/bin/env python
"""Measure the desk's ZIP of issued documents: time and peak memory for 10, 100 and 500 PDFs.

    .venv/bin/python scripts/benchmark_desk_zip.py
    .venv/bin/python scripts/benchmark_desk_zip.py --sizes 10 100 500 1000 --kib 300 --repeat 3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hezuo_bench .venv/bin/python scripts/benchmark_desk_zip.py

For each N, N issued documents (PDF-like files of ``--kib`` KiB: "%PDF-" then random bytes,
stored under a temporary MEDIA_ROOT with their true SHA-256) are the only ones in the
palace, and the palace's auditor downloads ``/app/desk/documents/zip/`` through the Django
test client; the response is read 64 KiB at a time and thrown away, as a client would.

Reported per N: the best time of ``--repeat`` downloads; then, in a separate download (the
tracer slows Python down), the peak of memory allocated by Python during the request
(``tracemalloc``), and how far the process's resident high-water mark (``ru_maxrss``) rose.
The claim is that neither grows with N: the PDFs go from storage into the ZIP in chunks and
never sit in memory together. The ZIP's size is given beside the total size of the PDFs.

Everything runs on a throw-away test database: in-memory SQLite, or ``test_<name>`` on the
server of ``DATABASE_URL`` when that is set.
"""

import argparse
import hashlib
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

# Flat: each document more may add at most this much to the peak. What it does add is the
# ZIP's table of contents (zipfile keeps one ZipInfo per entry, written at the end) and the
# name kept to number duplicates, well under 1 KiB; a PDF held in memory would add its size.
MAX_BYTES_PER_DOCUMENT = 2048


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--kib", type=int, default=100, help="size of each PDF")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import (
        override_settings,
        setup_test_environment,
        teardown_test_environment,
    )

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with tempfile.TemporaryDirectory(prefix="hezuo-bench-zip-") as media, override_settings(MEDIA_ROOT=media):
            return run(args, connection)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def fake_pdf(kib: int) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(kib * 1024 - 9)


def issue_documents(n: int, kib: int, provider, auditor) -> int:
    """N documents about ``provider``, versions 1..N, each with its own stored file; returns their bytes."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from core.models import IssuedDocument

    for doc in IssuedDocument.objects.all():
        doc.file.storage.delete(doc.file.name)
    IssuedDocument.objects.all().delete()
    content_type = ContentType.objects.get_for_model(provider)
    now = timezone.now()
    total = 0
    for version in range(1, n + 1):
        data = fake_pdf(kib)
        sha256 = hashlib.sha256(data).hexdigest()
        doc = IssuedDocument(
            kind=IssuedDocument.Kind.ASSESSMENT_REPORT,
            version=version,
            palace=provider.palace,
            title=f"终期评估报告（HT-2026-{version:03d} {provider.name}）",
            content_type=content_type,
            object_id=str(provider.pk),
            sha256=sha256,
            size=len(data),
            issued_by=auditor,
            issued_at=now,
        )
        doc.file.save(f"{sha256}.pdf", ContentFile(data), save=False)
        doc.save(force_insert=True)
        total += len(data)
    return total


def download(client, url) -> tuple[int, int]:
    """(status, bytes read): the response read in 64 KiB pieces and dropped, as a client would."""
    response = client.get(url)
    size = 0
    for piece in response.streaming_content:
        size += len(piece)
    response.close()
    return response.status_code, size


def run(args, connection) -> int:
    from django.test import Client
    from django.urls import reverse

    from core.models import Role
    from tests.factories import PalaceFactory, ProviderFactory, staff

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}); {args.kib} KiB per PDF")
    palace = PalaceFactory(wenshang=True)
    auditor = staff(palace, Role.AUDITOR, "bench-auditor")
    provider = ProviderFactory(palace=palace, verified=True, name="汶上县心理学会")
    client = Client()
    client.force_login(auditor)
    url = reverse("desk:documents_zip")

    issue_documents(3, args.kib, provider, auditor)
    download(client, url)  # the first request warms imports, templates and translations

    results = []
    for n in args.sizes:
        pdf_bytes = issue_documents(n, args.kib, provider, auditor)
        best = None
        for _ in range(args.repeat):
            started = time.perf_counter()
            status, zip_bytes = download(client, url)
            elapsed = time.perf_counter() - started
            assert status == 200, status
            best = elapsed if best is None else min(best, elapsed)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        status, _size = download(client, url)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_delta = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before  # KiB on Linux
        results.append((n, pdf_bytes, zip_bytes, best, peak, rss_delta))
        check_zip(client, url, n)

    print(f"{'N':>5} {'PDFs':>10} {'ZIP':>10} {'time':>8} {'per doc':>8} {'py peak':>9} {'maxrss +':>9}")
    for n, pdf_bytes, zip_bytes, best, peak, rss_delta in results:
        print(
            f"{n:>5} {pdf_bytes / 2**20:>7.1f} MiB {zip_bytes / 2**20:>6.1f} MiB {best:>6.3f} s "
            f"{best / n * 1000:>5.1f} ms {peak / 2**20:>5.2f} MiB {rss_delta / 1024:>5.1f} MiB"
        )
    (n0, _, _, _, peak0, _), (n1, pdf1, _, _, peak1, _) = results[0], results[-1]
    per_document = (peak1 - peak0) / max(n1 - n0, 1)
    flat = per_document <= MAX_BYTES_PER_DOCUMENT
    print(
        f"peak Python memory from N={n0} to N={n1}: {(peak1 - peak0) / 1024:+.0f} KiB, "
        f"{per_document:.0f} bytes per document against {pdf1 / n1 / 1024:.0f} KiB per PDF "
        f"(flat, under {MAX_BYTES_PER_DOCUMENT} bytes each: {'yes' if flat else 'NO'}); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    return 0 if flat else 1


def check_zip(client, url, n: int) -> None:
    """The ZIP read back: N PDFs and a manifest, every one stored intact."""
    import io

    response = client.get(url)
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert len(archive.namelist()) == n + 1, (len(archive.namelist()), n)
        assert archive.testzip() is None


if __name__ == "__main__":
    sys.exit(main())
