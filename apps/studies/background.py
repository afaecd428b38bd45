"""Embedded mode: studies run in-process, but off the request thread.

Without a broker (``CELERY_TASK_ALWAYS_EAGER``) Celery runs a task inside ``delay()``, so a study
used to run on the request's own thread: the browser waited for the whole study and was then told
"queued" for a study already done. Under the ASGI server, a queued study is instead handed to a
small thread pool of this process (``STUDY_EMBEDDED_THREADS``): the request returns at once, the
study moves through its states (django-fsm-2, claimed exactly as a worker would claim it) and its
progress reaches the page through the live stream.

The pool's threads run the task through asgiref (``sync_to_async`` on the server's event loop), so
the live pushes they make reach the in-memory channel layer on the loop that owns it. Outside an
ASGI server (a management command, a test's own thread) there is no loop to return to and the
study runs inline, as before.
"""
from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=getattr(settings, "STUDY_EMBEDDED_THREADS", 2),
                                       thread_name_prefix="embedded-study")
    return _executor


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The ASGI server's event loop when called from a request's sync thread, else None."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() and not loop.is_closed() else None


def _run(run_id: int) -> None:
    from .tasks import run_study

    try:
        run_study.apply(args=(run_id,))
    except Exception:  # noqa: BLE001 - run_study records failures itself; this is the last guard
        log.exception("embedded study %s stopped", run_id)
    finally:
        connections.close_all()  # this pool thread's connections, not kept between studies


def study_run_in_background(*, run_id: int) -> bool:
    """Start the study on the embedded pool when that applies; returns whether it did.

    Applies when tasks run in-process (no broker), ``STUDY_EMBEDDED_BACKGROUND`` is on, and the
    caller is a request of the ASGI server."""
    from celery import current_app

    if not (current_app.conf.task_always_eager and getattr(settings, "STUDY_EMBEDDED_BACKGROUND", False)):
        return False
    loop = _server_loop()
    if loop is None:
        return False
    asyncio.run_coroutine_threadsafe(sync_to_async(_run, thread_sensitive=False, executor=_pool())(run_id), loop)
    return True
