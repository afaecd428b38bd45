"""Process-local caches, made in one place so that all of them can be forgotten at once.

Caches here hold things derived from the database (exported nets, engine models, forecasts),
keyed by primary key and revision. A test database reuses primary keys (SQLite restarts them),
so the test suite clears every cache between tests (``tests/conftest.py``); so can a process that
must rebuild. Use :func:`process_cache` for any new module-level cache.
"""
from __future__ import annotations

import threading

from cachetools import LRUCache

_caches: list[LRUCache] = []
_lock = threading.Lock()


def process_cache(*, maxsize: int) -> LRUCache:
    """A new least-recently-used cache of at most ``maxsize`` entries, registered for clearing."""
    cache: LRUCache = LRUCache(maxsize=maxsize)
    with _lock:
        _caches.append(cache)
    return cache


def clear_process_caches() -> None:
    """Forget everything every process cache holds."""
    with _lock:
        for cache in _caches:
            cache.clear()
