"""Real processes for integration and browser tests: daphne and a Celery worker, pointed at the
test database (which the test must commit to: use transactional_db)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(extra: dict | None = None) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "dso_portal.settings.test", "DATABASE_URL": test_database_url(),
            "PYTHONUNBUFFERED": "1", **(extra or {})}


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not listen on {port}:\n{log.read_text()[-3000:]}")


_LOGS_OPENED: set[str] = set()


@contextmanager
def _process(args: list[str], name: str, port: int | None = None, ready: str | None = None, timeout: float = 90,
             env: dict | None = None):
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"{name}.log"
    mode = "a" if name in _LOGS_OPENED else "w"  # a restarted process appends to its first log
    _LOGS_OPENED.add(name)
    with open(log, mode) as out:
        start = log.stat().st_size
        process = subprocess.Popen(args, cwd=ROOT, env=child_env(env), stdout=out, stderr=subprocess.STDOUT)
        try:
            if port is not None:
                _wait_for_port(port, process, log)
            if ready is not None:
                deadline = time.monotonic() + timeout
                while ready not in log.read_text()[start:]:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{name} did not become ready:\n{log.read_text()[-3000:]}")
                    time.sleep(0.3)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def daphne_server(env: dict | None = None, name: str = "daphne"):
    """Yield the base URL of a daphne serving the project against the test database."""
    port = free_port()
    with _process([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "dso_portal.asgi:application"],
                  name, port=port, env=env):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def uvicorn_server(env: dict | None = None, name: str = "uvicorn", workers: int = 2):
    """Yield the base URL of the production-shape web server: ``workers`` uvicorn processes on one
    port (as scripts/run.sh starts it)."""
    port = free_port()
    with _process([sys.executable, "-m", "uvicorn", "dso_portal.asgi:application", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(workers), "--ws", "websockets", "--lifespan", "off"],
                  name, port=port, env=env, ready=None):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def celery_worker(env: dict | None = None, name: str = "celery-worker"):
    """A real Celery worker process consuming this test session's queue; yields the process."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with _process([sys.executable, "-m", "celery", "-A", "dso_portal", "worker", "-Q", queue, "-c", "1",
                   "--pool", "solo", "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                  name, ready="ready.", env=env) as process:
        yield process


@contextmanager
def celery_beat(env: dict | None = None, name: str = "celery-beat"):
    """Celery beat with a schedule file of its own (the periodic reaper among its entries)."""
    ARTIFACTS.mkdir(exist_ok=True)
    schedule = ARTIFACTS / f"{name}-{os.getpid()}-schedule"
    with _process([sys.executable, "-m", "celery", "-A", "dso_portal", "beat", "-l", "info", "-s", str(schedule)],
                  name, ready="beat: Starting", env=env) as process:
        yield process
    for leftover in ARTIFACTS.glob(f"{schedule.name}*"):
        leftover.unlink()


class RedisServer:
    """A redis-server of a test's own on a free port, which the test may stop and start again
    (never the machine's Redis, which others use). No persistence: a restart loses everything,
    the worst case for queued messages and channel-layer groups."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        log = open(ARTIFACTS / "redis-server.log", "a")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(ARTIFACTS)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        _wait_for_port(self.port, self.process, ARTIFACTS / "redis-server.log")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process = None


@contextmanager
def redis_server():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def session_cookie(user) -> str:
    """A session cookie header value for ``user`` (the session row is committed: transactional_db)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def post_and_listen(base: str, user, path: str, body: dict, until: str, timeout: float = 180, action=None) -> tuple:
    """Subscribe to the live socket as ``user``, POST ``body`` to ``path`` with the user's API
    token, and collect events until one of kind ``until`` arrives.

    Returns
    -------
    ``(response, events)``.
    """
    import asyncio
    import json

    import requests
    import websockets
    from rest_framework.authtoken.models import Token

    cookie = session_cookie(user)
    token = Token.objects.get_or_create(user=user)[0].key
    ws_url = base.replace("http", "ws") + "/ws/live/?after=0"

    subscribed = asyncio.Event()

    async def listen() -> list[dict]:
        events = []
        async with websockets.connect(ws_url, additional_headers={"Cookie": cookie, "Origin": base}) as socket:
            subscribed.set()  # the server joins the stream's group before it accepts the handshake
            async with asyncio.timeout(timeout):
                while True:
                    events.append(json.loads(await socket.recv()))
                    if events[-1]["kind"] == until:
                        return events

    async def scenario():
        listener = asyncio.create_task(listen())
        ready = asyncio.create_task(subscribed.wait())
        await asyncio.wait({listener, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if listener.done():
            listener.result()  # the socket failed before subscribing: raise why
        assert subscribed.is_set(), "the live socket did not connect within 30 s"
        if action is not None:
            return await asyncio.to_thread(action), await listener
        response = await asyncio.to_thread(requests.post, f"{base}{path}", json=body,
                                           headers={"Authorization": f"Token {token}"}, timeout=30)
        if response.status_code != 201:
            listener.cancel()
            return response, []
        return response, await listener

    return asyncio.run(scenario())


def do_and_listen(base: str, user, action, until: str, timeout: float = 180) -> tuple:
    """Like ``post_and_listen``, with ``action()`` (run on a thread) instead of the POST.
    Returns ``(action's result, events)``."""
    from django.db import connection

    def on_thread():
        try:
            return action()
        finally:
            connection.close()  # the worker thread's own connection, or the test DB cannot be dropped

    return post_and_listen(base, user, "", {}, until, timeout, action=on_thread)
