#!/usr/bin/env python
"""Throughput of the public rating page under gunicorn, against a bare one-INSERT view (not a test; prints figures).

    .venv/bin/python scripts/benchmark_ratings.py                        # 2 workers, 8 s per run, 5 rounds
    .venv/bin/python scripts/benchmark_ratings.py --workers 4 --duration 20 --connections 32 --activities 20
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hezuo_bench_ratings .venv/bin/python scripts/benchmark_ratings.py

Needs PostgreSQL (``DATABASE_URL``, default postgres://postgres@127.0.0.1:5432/hezuo_bench_ratings; the
script works on the throw-away database ``test_<name>`` and drops it at the end) and ``wrk``
(Debian package ``wrk``: ``apt-get install wrk``).

gunicorn serves the project with ``scripts/bench_settings.py`` on a free loopback port;
``wrk`` POSTs to it for ``--duration`` seconds over ``--connections`` connections. Both
targets get the same request: one CSRF token and cookie, fetched once from the rating
page and reused, and a different device cookie on every request (signed as the rating
page signs them, minted here in advance), so every rating is a new device's first.

* ``rate``: ``/rate/<token>/`` → ``services.rating_submit``: the rating, its audit event,
  and the month's PeriodScore, in one ORM transaction; 302 to the thank-you page.
* ``baseline``: ``/bench/insert/`` → one INSERT into a table of its own; 302.

Both commit the same way: synchronously (PostgreSQL's default; nothing sets
``synchronous_commit``), each COMMIT waiting for its WAL to reach the disk.

The rate limit is off for the run (bench_settings: HEZUO_RATING_POSTS_PER_MINUTE = 0).
``--timing`` has every worker time each statement, COMMIT and request (wall clock) and the CPU
its request took, in the worker and in its PostgreSQL backend (the timers slow both targets).

The machine is shared, and a run's throughput moves by a quarter from one minute to the
next. So each round runs the two back to back (after a short warm-up each), in alternating
order, and the figure is the median of the rounds' ratios; the best and median throughput
of each are printed too. The target is rate ≥ 0.5 × baseline. Afterwards the stored
ratings are checked: as many as 302s were answered, the month's row equal to a full
recompute, and the audit chain intact.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
sys.path[:0] = [str(ROOT), str(SCRIPTS)]
os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hezuo_bench_ratings")

TARGET_RATIO = 0.5
WARMUP_SECONDS = 2

LUA = r"""
-- One CSRF token and cookie for every request; a different signed device cookie each time.
local csrf_cookie, csrf_token = os.getenv("BENCH_CSRF_COOKIE"), os.getenv("BENCH_CSRF_TOKEN")
local devices_file, paths_spec = os.getenv("BENCH_DEVICES"), os.getenv("BENCH_PATHS")
local threads, counter, devices, paths = {}, 0, {}, {}
local n_threads = 0

function setup(thread)
  thread:set("id", n_threads)
  n_threads = n_threads + 1
  table.insert(threads, thread)
end

function init(args)
  local total = tonumber(args[1])
  local i = 0
  for line in io.lines(devices_file) do
    if i % total == id then table.insert(devices, line) end
    i = i + 1
  end
  for p in string.gmatch(paths_spec, "[^,]+") do table.insert(paths, p) end
end

function request()
  counter = counter + 1
  local device = devices[(counter - 1) % #devices + 1]
  local path = paths[(counter - 1) % #paths + 1]
  local body = "csrfmiddlewaretoken=" .. csrf_token .. "&stars=" .. (4 + counter % 2) .. "&comment=bench"
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. csrf_cookie .. "; hz_device=" .. device,
  }, body)
end

function response(status, headers, body)
  local key = "n" .. status
  _G[key] = (_G[key] or 0) + 1
  if counter > #devices then wrk.thread:stop() end  -- never reuse a device: a repeat is not a first rating
end

function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do  -- thread:get copies numbers and strings, not tables
    for code = 100, 599 do
      local n = t:get("n" .. code)
      if n then merged[code] = (merged[code] or 0) + n end
    end
  end
  local parts = {}
  for code, n in pairs(merged) do table.insert(parts, code .. "=" .. n) end
  io.write("STATUSES " .. table.concat(parts, ",") .. "\n")
  io.write(string.format("LATENCY p50=%.1fms p99=%.1fms\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end
"""


WSGI = """import django
django.setup()
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
{timing}
"""

# --timing: each worker times every statement (by its first words), COMMIT, and the whole request,
# and writes its totals to a file at exit; the script adds them up. The figures are wall-clock
# times seen by the worker, waiting for locks and for a CPU included.
TIMING = r"""
import atexit, collections, json, os, time
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper

_stats = collections.defaultdict(lambda: [0, 0.0])
_out = os.path.join(os.environ["BENCH_TIMING_DIR"], f"{os.getpid()}.json")


def _label(sql):
    words = sql.split()
    label = " ".join(words[:2])
    if "FOR UPDATE" in sql:
        label += " … FOR UPDATE"
    for word in words:
        if word.startswith('"') and word.endswith('"'):
            return f"{label} {word.strip(chr(34))}"
    return label


def _timed(execute, sql, params, many, context):
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        entry = _stats[_label(sql)]
        entry[0] += 1
        entry[1] += time.perf_counter() - start


_commit = DatabaseWrapper._commit


def _timed_commit(self):
    start = time.perf_counter()
    try:
        return _commit(self)
    finally:
        entry = _stats["COMMIT"]
        entry[0] += 1
        entry[1] += time.perf_counter() - start


DatabaseWrapper._commit = _timed_commit
_django = application


def _backend_cpu():
    # The CPU seconds of this worker's PostgreSQL backend so far (utime + stime in /proc, same machine).
    try:
        pid = connection.connection.info.backend_pid
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except Exception:
        return None


def application(environ, start_response):
    kind = environ["PATH_INFO"].split("/")[1]
    start, cpu, db_cpu = time.perf_counter(), time.process_time(), _backend_cpu()
    try:
        with connection.execute_wrapper(_timed):
            return _django(environ, start_response)
    finally:
        entry = _stats["request " + kind]
        entry[0] += 1
        entry[1] += time.perf_counter() - start
        entry = _stats["  CPU of the worker, " + kind]
        entry[0] += 1
        entry[1] += time.process_time() - cpu
        after = _backend_cpu()
        if db_cpu is not None and after is not None:
            entry = _stats["  CPU of its PostgreSQL backend, " + kind]
            entry[0] += 1
            entry[1] += after - db_cpu


@atexit.register
def _dump():
    with open(_out, "w") as f:
        json.dump(_stats, f)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # One sync worker per core, as a deployment on this machine would run it.
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default: one per core here)")
    parser.add_argument("--duration", type=int, default=8, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of one baseline run and one rating run")
    parser.add_argument(
        "--activities",
        type=int,
        default=1,
        help="activities rated in turn (1: everyone rates the same one, the hottest row)",
    )
    parser.add_argument("--devices", type=int, default=120_000, help="device cookies minted in advance")
    parser.add_argument(
        "--timing",
        action="store_true",
        help="time each statement, COMMIT and each request in the workers (wall clock), and print it",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    if connection.vendor != "postgresql":
        print("this benchmark needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return run(args, connection, test_name)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def seed(n_activities: int) -> list[str]:
    """A palace, a contract in force and today's activities, through the services; their rating tokens."""
    from bench_settings import BASELINE_TABLE
    from django.utils import timezone

    from contracts import services as contract_services
    from core.models import Role
    from evaluations import services
    from tests.contract_builders import active_contract
    from tests.factories import PalaceFactory, ProviderFactory, provider_user, staff

    palace = PalaceFactory(wenshang=True)
    admin = staff(palace, Role.ADMIN, "bench-admin")
    provider = ProviderFactory(palace=palace, verified=True)
    user = provider_user(provider, "bench-provider")
    today = timezone.localdate()
    contract = active_contract(
        palace=palace, provider=provider, provider_user=user, admin=admin, starts_on=today.replace(day=1)
    )
    report = contract.reports.get(sequence=1)
    contract_services.report_save(
        actor=user,
        report=report,
        narrative="本月",
        activities=[
            # As many participants as a report may give (forms_provider.MAX_PARTICIPANTS): the attendance cap
            # (no more ratings than people who came) must not refuse a rating during the run.
            contract_services.ActivityInput(today, f"职工公益课堂（第{n}期）", "culture", "多功能厅", 100_000)
            for n in range(1, n_activities + 1)
        ],
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, device varchar(200), "
            "stars smallint, comment varchar(500), created_at timestamptz)"
        )
    return [services.rating_link_for(a).token for a in report.activities.order_by("pk")]


def mint_devices(n: int, path: Path) -> None:
    """Device cookies exactly as the rating page signs them (evaluations.realtime.views.rating.set_device_cookie)."""
    from django.core import signing

    from evaluations.realtime.views.rating import DEVICE_COOKIE, DEVICE_SALT, new_device_id

    signer = signing.get_cookie_signer(salt=DEVICE_COOKIE + DEVICE_SALT)
    path.write_text("".join(signer.sign(new_device_id()) + "\n" for _ in range(n)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(workers: int, port: int, db_name: str, work: Path, timing: bool) -> subprocess.Popen:
    from django.db import connection

    (work / "bench_wsgi.py").write_text(WSGI.format(timing=TIMING if timing else ""))
    (work / "timing").mkdir()
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "BENCH_TIMING_DIR": str(work / "timing"),
        "DATABASE_URL": urllib.parse.urlunsplit(url._replace(path=f"/{db_name}")),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(SCRIPTS), str(work)]),
    }
    connection.close()
    server = subprocess.Popen(  # noqa: S603  (our own gunicorn, fixed arguments)
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "bench_wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
        ],
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("gunicorn exited") from None
            time.sleep(0.2)
    stop(server)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def csrf_pair(base: str, path: str) -> tuple[str, str]:
    """The CSRF cookie and the form's token, as a phone would get them from the rating page."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + path, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    cookie = next(c.value for c in jar if c.name == "csrftoken")
    return cookie, token


def wrk(base: str, paths: list[str], seconds: int, args, env: dict, script: Path) -> dict:
    command = [
        "wrk",
        "--latency",
        "-t",
        str(args.threads),
        "-c",
        str(args.connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base + paths[0],
        "--",
        str(args.threads),
    ]
    done = subprocess.run(  # noqa: S603  (wrk, fixed args)
        command,
        env={**env, "BENCH_PATHS": ",".join(paths)},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    out = done.stdout
    if done.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{out}\n{done.stderr}")
    statuses = dict(pair.split("=") for pair in re.search(r"STATUSES (\S*)", out).group(1).split(",") if pair)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "statuses": {int(k): int(v) for k, v in statuses.items()},
        "latency": re.search(r"LATENCY (.*)", out).group(1),
    }


def print_timing(folder: Path) -> None:
    """The workers' --timing totals (warm-up runs included): per statement, COMMIT and request."""
    import json

    totals: dict[str, list] = {}
    for file in folder.glob("*.json"):
        for label, (count, seconds) in json.loads(file.read_text()).items():
            entry = totals.setdefault(label, [0, 0.0])
            entry[0] += count
            entry[1] += seconds
    print("timing in the workers (wall clock; warm-ups included):")
    for label, (count, seconds) in sorted(totals.items(), key=lambda item: -item[1][1]):
        print(f"  {label[:70]:<70} {count:>8,} × {seconds / count * 1000:7.3f} ms = {seconds:7.1f} s")


def run(args, connection, db_name: str) -> int:
    from evaluations import services
    from evaluations.models import PeriodScore, Rating

    print(
        f"database: postgresql ({db_name}); gunicorn: {args.workers} sync workers; wrk: {args.threads} threads, "
        f"{args.connections} connections, {args.duration} s per run; {args.activities} activit"
        f"{'y' if args.activities == 1 else 'ies'} rated; rate limit off"
    )
    tokens = seed(args.activities)
    work = Path(tempfile.mkdtemp(prefix="hezuo-bench-ratings-"))
    devices = work / "devices.txt"
    mint_devices(args.devices, devices)
    script = work / "post.lua"
    script.write_text(LUA)
    rate_paths = [f"/rate/{t}/" for t in tokens]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(args.workers, port, db_name, work, args.timing)
    runs: dict[str, list[float]] = {"baseline": [], "rate": []}
    paired: list[float] = []
    posted_302 = 0
    try:
        cookie, token = csrf_pair(base, rate_paths[0])
        env = {**os.environ, "BENCH_CSRF_COOKIE": cookie, "BENCH_CSRF_TOKEN": token, "BENCH_DEVICES": str(devices)}
        targets = [("baseline", ["/bench/insert/"]), ("rate", rate_paths)]
        for round_no in range(1, args.rounds + 1):
            # Back to back, the two runs of a round see the same machine; the order alternates so that
            # a load that rises or falls through the run favours neither.
            rps = {}
            for name, paths in targets if round_no % 2 else targets[::-1]:
                # Fresh devices for every run (wrk's threads restart the list), so no rating is a repeat.
                mint_devices(args.devices, devices)
                wrk(base, paths, WARMUP_SECONDS, args, env, script)
                mint_devices(args.devices, devices)
                result = wrk(base, paths, args.duration, args, env, script)
                if name == "rate":
                    posted_302 += result["statuses"].get(302, 0)
                others = {k: v for k, v in result["statuses"].items() if k != 302}
                print(
                    f"round {round_no} {name:>8}: {result['rps']:8.1f} req/s  {result['latency']}"
                    f"{'  NOT 302: ' + str(others) if others else ''}"
                )
                rps[name] = result["rps"]
                runs[name].append(result["rps"])
            paired.append(rps["rate"] / rps["baseline"])
            print(f"round {round_no}    ratio: {paired[-1]:.2f}")
    finally:
        stop(server)
        if args.timing:
            print_timing(work / "timing")
        shutil.rmtree(work, ignore_errors=True)

    best = {name: max(values) for name, values in runs.items()}
    print(f"baseline (one INSERT): best {best['baseline']:.1f} req/s, median {statistics.median(runs['baseline']):.1f}")
    print(f"rating page:           best {best['rate']:.1f} req/s, median {statistics.median(runs['rate']):.1f}")
    print(f"best against best: {best['rate'] / best['baseline']:.2f}; rounds: {', '.join(f'{r:.2f}' for r in paired)}")
    # The figure: the median of the rounds' ratios, each of two runs made back to back. On this
    # shared machine a run's throughput moves by a quarter from one minute to the next, so the
    # best run of one against the best of the other compares two different moments.
    ratio = statistics.median(paired)
    print(
        f"ratio (median of the rounds): {ratio:.2f} (target ≥ {TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'MISSED'})"
    )

    # What was stored adds up: warm-up ratings included, each was a new device's first.
    from core.audit import verify_chain

    stored = Rating.objects.count()
    periods = list(PeriodScore.objects.select_related("contract"))
    exact = all(
        (p.ratings_total, p.ratings_count, p.score) == (f.ratings_total, f.ratings_count, f.score)
        for p in periods
        for f in [services.period_recompute(p)]
    )
    chain = verify_chain()
    print(
        f"stored ratings: {stored:,} (measured runs answered {posted_302:,} with 302); month's row equals a "
        f"recompute: {exact}; audit chain intact: {chain.ok} ({chain.checked:,} events)"
    )
    return 0 if exact and chain.ok else 1


if __name__ == "__main__":
    sys.exit(main())
