"""Shift-length sessions: a browser session ends one shift after login (``SESSION_SHIFT_HOURS``)
or after ``SESSION_IDLE_MINUTES`` without a request, whichever comes first."""
from __future__ import annotations

import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import logout
from django.utils import timezone

from apps.common.clock import DEFAULT_ZONE

LOGIN_AT = "shift_login_at"
SEEN_AT = "shift_seen_at"
TOUCH_EVERY_S = 60
API_PREFIX = "/api/"  # machine-readable times stay in UTC  # write the idle clock at most once a minute, not on every request


def session_expired(session, now: float) -> str | None:
    """Why the session has ended ('shift' or 'idle'), or None if it is still live."""
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if login_at is not None and now - login_at > settings.SESSION_SHIFT_HOURS * 3600:
        return "shift"
    if seen_at is not None and now - seen_at > settings.SESSION_IDLE_MINUTES * 60:
        return "idle"
    return None


class ShiftSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        # Token-authenticated API calls carry no session; only browser sessions are timed.
        if user is not None and user.is_authenticated and request.session.session_key:
            now = time.time()
            reason = session_expired(request.session, now)
            if reason is not None:
                from apps.audit.services import audit_record

                audit_record(actor=user, action="auth.session_expired", after={"reason": reason})
                logout(request)
            else:
                request.session.setdefault(LOGIN_AT, now)
                # A page refreshing itself on a live event is not the user at the desk.
                background = request.headers.get("X-Background-Refresh") == "1"
                if not background and now - request.session.get(SEEN_AT, 0) > TOUCH_EVERY_S:
                    request.session[SEEN_AT] = now
        return self.get_response(request)


class UserTimeZoneMiddleware:
    """Every time on the page in the signed-in user's zone (``User.time_zone``); others: the default.

    Not for the API: machines read ISO 8601 in UTC there, the same as the live events carry
    (DRF writes datetimes in the active zone), and the page's scripts format them themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            return self.get_response(request)
        user = getattr(request, "user", None)
        name = getattr(user, "time_zone", None) if user is not None and user.is_authenticated else None
        try:
            timezone.activate(ZoneInfo(name or DEFAULT_ZONE))
        except (ZoneInfoNotFoundError, ValueError):
            timezone.activate(ZoneInfo(DEFAULT_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
