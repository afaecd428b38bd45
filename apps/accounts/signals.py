"""Every login, failed login, lockout and logout goes to the audit trail (NERC CIP-007 R5)."""
from __future__ import annotations

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from apps.audit.services import audit_record

from .middleware import LOGIN_AT, SEEN_AT


def _client(request) -> dict:
    if request is None:
        return {}
    return {"ip": request.META.get("REMOTE_ADDR", ""), "user_agent": request.headers.get("User-Agent", "")[:200]}


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = request.session[SEEN_AT] = time.time()  # the shift starts now
    audit_record(actor=user, action="auth.login", obj=user, after={"username": user.get_username(), **_client(request)})


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in ``credentials``; only the username is kept.
    audit_record(actor=None, action="auth.login_failed",
                 after={"username": str(credentials.get("username", ""))[:150], **_client(request)})


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    audit_record(actor=None, action="auth.locked_out", after={"username": str(username or "")[:150], "ip": ip_address})


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.logout", obj=user, after=_client(request))
