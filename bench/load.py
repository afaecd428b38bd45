"""Load: 50 concurrent operator sessions against the production shape, started here and stopped after.

Starts ``scripts/run.sh`` (uvicorn worker processes on one port, a Celery worker and beat) on a
free port of 127.0.0.1, against a PostgreSQL database and a Redis database index of its own, with
the demo world loaded. The demo world is loaded once into a seed database (``<db>_seed``) and
copied from it (``CREATE DATABASE ... TEMPLATE``) on later runs, so a run after the first spends
its time measuring. Each session is one operator's browser: its own session cookie and at most
two connections, looping over the main pages (network home with its figure fetch, ANM, forecasts)
and API reads with a think time between requests. Everything it started is stopped by pid.

Figures (the last line): ``RESULT p95_page_ms=… p95_api_ms=… errors=… rps=… html_kb=…``, plus p50s
and request counts. Pages are HTML documents; API is every ``/api/`` read, the network figure
fetch included. Bounded: at most ``--budget`` seconds (180) from the database copy to the end,
whatever happens (the very first run first spends about two minutes loading the seed).

Run: ``.venv/bin/python bench/load.py`` (``--sessions 50 --seconds 60 --think 1.0``). Needs
PostgreSQL (``BENCH_PG``, default ``postgres://postgres@127.0.0.1:5432``) and Redis
(``BENCH_REDIS``, default ``redis://127.0.0.1:6379/13``) on localhost.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LOG_DIR = ROOT / "var" / "bench-load"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(pg: str, sql: str, check: bool = True) -> str:
    out = subprocess.run(["psql", f"{pg}/postgres", "-v", "ON_ERROR_STOP=1", "-qtAc", sql],
                         capture_output=True, text=True)
    if check and out.returncode != 0:
        raise RuntimeError(f"psql failed: {sql}\n{out.stderr}")
    return out.stdout.strip()


def manage(env: dict, *args: str, timeout: float) -> str:
    out = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return out.stdout


def prepare_database(pg: str, name: str, env: dict) -> str:
    """A fresh copy of the seed database (demo world loaded), making the seed on the first run."""
    seed = f"{name}_seed"
    if psql(pg, f"SELECT 1 FROM pg_database WHERE datname = '{seed}' AND NOT datistemplate") == "1" and \
            psql(pg, f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{seed}'") != "ready":
        psql(pg, f"DROP DATABASE {seed}")  # a seed whose loading was interrupted
    if psql(pg, f"SELECT 1 FROM pg_database WHERE datname = '{seed}'") != "1":
        print(f"# first run: loading the demo world into {seed} (kept for later runs)", flush=True)
        psql(pg, f"CREATE DATABASE {seed}")
        # Embedded while loading: the demo's first ANM projection runs in-process, so the seed
        # holds its results (with the broker it would wait on a queue no worker reads).
        seed_env = {**env, "DATABASE_URL": f"{pg}/{seed}", "DSO_EMBEDDED": "1"}
        manage(seed_env, "migrate", "--noinput", timeout=120)
        manage(seed_env, "load_demo", timeout=360)
        psql(pg, f"COMMENT ON DATABASE {seed} IS 'ready'")
    psql(pg, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(pg, f"CREATE DATABASE {name} TEMPLATE {seed}")
    # Migrations added since the seed was made (a no-op when there are none).
    manage({**env, "DATABASE_URL": f"{pg}/{name}"}, "migrate", "--noinput", timeout=120)
    return f"{pg}/{name}"


def make_sessions(env: dict, count: int) -> tuple[list[str], int]:
    """``count`` session keys of the demo operator (as after a login), and the home network's id."""
    code = (
        "from django.contrib.auth import get_user_model, HASH_SESSION_KEY, SESSION_KEY, BACKEND_SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "import time\n"
        "from apps.grid.selectors import network_default\n"
        "user = get_user_model().objects.get(username='operator')\n"
        f"for _ in range({count}):\n"
        "    s = SessionStore()\n"
        "    s[SESSION_KEY] = str(user.pk); s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "    s[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "    s['shift_login_at'] = time.time(); s['shift_seen_at'] = time.time()\n"
        "    s.create(); print('KEY', s.session_key)\n"
        "print('NETWORK', network_default().pk)\n"
    )
    out = manage(env, "shell", "-c", code, timeout=60)
    keys = re.findall(r"^KEY (\S+)$", out, re.M)
    network = int(re.search(r"^NETWORK (\d+)$", out, re.M).group(1))
    return keys, network


def wait_ready(base: str, process: subprocess.Popen, deadline: float, log: Path) -> None:
    import urllib.request

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scripts/run.sh exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/accounts/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server did not answer in time:\n{log.read_text()[-3000:]}")


def tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and every live descendant."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0.0, [root]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            pass
        todo += children.get(pid, [])
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def run_load(base: str, keys: list[str], network: int, seconds: float, think: float, warmup: float) -> dict:
    import aiohttp

    pages = ["/", f"/networks/{network}/", f"/anm/networks/{network}/", "/forecasting/"]
    apis = ["/api/v1/me/", "/api/v1/networks/", f"/api/v1/networks/{network}/summary/",
            "/api/v1/studies/?limit=20", f"/api/v1/anm/projection/?network={network}",
            f"/api/v1/anm/alarms/?network={network}&state=active", "/api/v1/events/?limit=50",
            "/api/v1/forecasting/runs/?limit=20"]
    samples: dict[str, list[float]] = {"page": [], "api": []}
    by_path: dict[str, list[float]] = {}  # which reads dominate a percentile
    errors: list[str] = []
    html_kb: list[float] = []
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    counted = {"n": 0, "all": 0}

    async def fetch(http, path: str, kind: str) -> str | None:
        t0 = time.monotonic()
        try:
            async with http.get(base + path, headers={"Accept-Encoding": "gzip"}, allow_redirects=True) as response:
                body = await response.read()
                ok = response.status == 200
                status = response.status
        except Exception as exc:  # noqa: BLE001 - any failure is an error of the run
            ok, body, status = False, b"", f"{exc.__class__.__name__}"
        t1 = time.monotonic()
        counted["all"] += 1
        if t0 >= measure_from and t1 <= stop_at + 30:
            samples[kind].append((t1 - t0) * 1000)
            by_path.setdefault(re.sub(r"/\d+/", "/<id>/", path.split("?")[0]), []).append((t1 - t0) * 1000)
            counted["n"] += 1
            if not ok:
                errors.append(f"{status} {path}")
        return body.decode(errors="replace") if ok else None

    async def operator(key: str, index: int) -> None:
        jar = aiohttp.CookieJar(unsafe=True)
        connector = aiohttp.TCPConnector(limit=2)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(base, connector=connector, timeout=timeout, cookies={"sessionid": key},
                                         cookie_jar=jar) as http:
            rng = random.Random(index)
            await asyncio.sleep(rng.uniform(0, min(warmup, 5)))  # sessions arrive over the first seconds
            while time.monotonic() < stop_at:
                roll = rng.random()
                if roll < 0.3:  # the operator's home: the page, then its figure
                    html = await fetch(http, rng.choice(pages[:2]), "page")
                    if html:
                        if not html_kb:
                            html_kb.append(len(html.encode()) / 1024)
                        url = re.search(r'data-topology-url="([^"]+)"', html)
                        if url:
                            await fetch(http, url.group(1).replace("&amp;", "&"), "api")
                elif roll < 0.5:
                    await fetch(http, pages[2], "page")
                elif roll < 0.6:
                    await fetch(http, pages[3], "page")
                else:
                    await fetch(http, rng.choice(apis), "api")
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))

    await asyncio.gather(*(operator(key, i) for i, key in enumerate(keys)))
    elapsed = max(time.monotonic() - measure_from, 1e-9)
    return {"samples": samples, "by_path": by_path, "errors": errors, "html_kb": html_kb[0] if html_kb else float("nan"),
            "rps": counted["n"] / min(elapsed, seconds + 30), "all_requests": counted["all"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60, help="measured phase")
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between requests (s)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="uvicorn web processes")
    parser.add_argument("--budget", type=float, default=180, help="hard bound on the whole run (s)")
    parser.add_argument("--db", default="dso_bench_load")
    args = parser.parse_args()
    pg = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    redis = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
    assert "127.0.0.1" in pg and "127.0.0.1" in redis, "127.0.0.1 only"
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"DSO_EMBEDDED", "DJANGO_SETTINGS_MODULE"}}
    env.update({"REDIS_URL": redis, "PYTHONUNBUFFERED": "1", "CELERY_QUEUE": f"bench-load-{os.getpid()}",
                "LOG_LEVEL": "WARNING"})
    env["DATABASE_URL"] = prepare_database(pg, args.db, env)  # the first run also loads the seed (~2 min)
    started = time.monotonic()  # the budget bounds every run from here
    deadline = started + args.budget
    keys, network = make_sessions(env, args.sessions)
    port = free_port()
    log = LOG_DIR / "server.log"
    env.update({"PORT": str(port), "PY": PY, "WEB_WORKERS": str(args.workers)})
    server = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=open(log, "w"),
                              stderr=subprocess.STDOUT, start_new_session=False)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server, min(deadline - 20, time.monotonic() + 90), log)
        seconds = max(5.0, min(args.seconds, deadline - time.monotonic() - args.warmup - 45))
        print(f"# {args.sessions} sessions, {args.workers} web workers, {seconds:.0f} s measured after "
              f"{args.warmup:.0f} s warm-up, think {args.think} s; server log {log}", flush=True)
        cpu_before, load_before = tree_cpu_s(server.pid), os.getloadavg()[0]
        result = asyncio.run(asyncio.wait_for(
            run_load(base, keys, network, seconds, args.think, args.warmup),
            timeout=max(deadline - time.monotonic() - 25, 10)))
        # What the server spends per request, whatever else the machine is doing: with the
        # machine's load average this tells contention apart from the server's own cost.
        result["server_cpu_ms_per_req"] = (tree_cpu_s(server.pid) - cpu_before) * 1000 / max(result["all_requests"], 1)
        result["loadavg"] = (load_before + os.getloadavg()[0]) / 2
    finally:
        server.send_signal(signal.SIGTERM)  # run.sh stops what it started, by pid
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        psql(pg, f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)", check=False)
    pages, apis = result["samples"]["page"], result["samples"]["api"]
    errors = result["errors"]
    if errors:
        print("# errors (first 10):", errors[:10])
    print(f"# requests: pages={len(pages)} api={len(apis)}; total {time.monotonic() - started:.0f} s")
    for path, times in sorted(result["by_path"].items(), key=lambda kv: -percentile(kv[1], 95)):
        print(f"#   p95 {percentile(times, 95):6.0f} ms  p50 {percentile(times, 50):5.0f} ms  n={len(times):5d}  {path}")
    print(f"RESULT p95_page_ms={percentile(pages, 95):.0f} p95_api_ms={percentile(apis, 95):.0f} "
          f"errors={len(errors)} rps={result['rps']:.1f} html_kb={result['html_kb']:.1f} "
          f"p50_page_ms={percentile(pages, 50):.0f} p50_api_ms={percentile(apis, 50):.0f} "
          f"server_cpu_ms_per_req={result['server_cpu_ms_per_req']:.1f} loadavg={result['loadavg']:.1f} "
          f"sessions={args.sessions} workers={args.workers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
