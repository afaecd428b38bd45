"""Figure JSON built once and kept in the Django cache (Redis in production shape, local memory
embedded), stored both plain and gzip-compressed so that a figure is served without rebuilding,
re-serialising or re-compressing it.

Keys name what the figure is a pure function of: a network's revision for its topology, a study
run for a finished result (results never change once stored). ``FIGURE_CACHE_VERSION`` is part
of every key: bump it when a figure builder changes what it draws, so that a deploy never serves
figures drawn by the old code. Entries also expire after ``FIGURE_CACHE_SECONDS``, which bounds
how long a change that does not bump a revision (a moved coordinate, a renamed feeder) shows late.
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

FIGURE_CACHE_VERSION = 1


@dataclass(frozen=True)
class FigureBlob:
    """One figure's JSON, plain and gzip-compressed."""

    plain: bytes
    gzipped: bytes


def figure_blob(*, key: str, build: Callable[[], dict[str, Any]]) -> FigureBlob:
    """The cached figure under ``key``, built by ``build()`` (and stored) on a miss.

    Parameters
    ----------
    key: what the figure is a function of, e.g. ``network:3:r12`` or ``study:41``.
    build: makes the Plotly figure dict; called only on a miss.

    Returns
    -------
    The figure's JSON bytes, plain and gzipped.
    """
    full_key = f"figure:v{FIGURE_CACHE_VERSION}:{key}"
    blob = cache.get(full_key)
    if blob is None:
        plain = json.dumps(build(), separators=(",", ":")).encode()
        blob = FigureBlob(plain=plain, gzipped=gzip.compress(plain, compresslevel=6))
        cache.set(full_key, blob, timeout=getattr(settings, "FIGURE_CACHE_SECONDS", 6 * 3600))
    return blob


def figure_cached(*, key: str, build: Callable[[], Any]) -> Any:
    """The cached figure dicts under ``key`` (built by ``build()`` on a miss), for a page that
    inlines them (``json_script``) rather than fetching them.

    Parameters
    ----------
    key: what the figures are a function of, e.g. ``projection:12:1781000000``.
    build: makes the figure dict(s); called only on a miss.
    """
    full_key = f"figure:v{FIGURE_CACHE_VERSION}:obj:{key}"
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, timeout=getattr(settings, "FIGURE_CACHE_SECONDS", 6 * 3600))
    return value


def figure_response(request: HttpRequest, blob: FigureBlob, *, immutable: bool = False) -> HttpResponse:
    """The figure as an ``application/json`` response, gzipped when the client accepts it.

    ``immutable``: the URL names exactly this figure (a revision or a finished run), so the
    browser may keep it for a day; otherwise it must ask again (the figure may have changed).
    """
    accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
    response = HttpResponse(blob.gzipped if accepts_gzip else blob.plain, content_type="application/json")
    if accepts_gzip:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding, Cookie"
    response["Cache-Control"] = "private, max-age=86400" if immutable else "private, no-cache"
    return response
