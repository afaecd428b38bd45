"""Request body limits per endpoint, checked on Content-Length before anything parses the body.

A JSON API gets a small limit; bulk uploads (network import, weather ingest) get their own.
Oversized requests get 413 at once, so a 10 MB body costs the web process nothing.
"""
from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse


def _limit_for(path: str) -> int | None:
    for prefix, limit in settings.REQUEST_BODY_LIMITS:
        if path.startswith(prefix):
            return limit
    return None


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = _limit_for(request.path_info)
        if limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return JsonResponse(
                    {"detail": f"Request body too large: {length} bytes; this endpoint accepts at most {limit}."},
                    status=413,
                )
        return self.get_response(request)
