"""Logging in: lockout after repeated failures, every login attempt audited, shift-length
sessions with an idle timeout."""
from __future__ import annotations

import time

from django.conf import settings

from apps.accounts.middleware import LOGIN_AT, SEEN_AT
from apps.audit.models import AuditEvent

LOGIN = "/accounts/login/"


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_lockout_after_five_failures_even_with_the_right_password(client, operator):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(5):
        assert _login(client, "op", "wrong").status_code in (200, 429)
    refused = _login(client, "op", "pw")  # the right password, too late
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still not logged in
    assert AuditEvent.objects.filter(action="auth.locked_out", after__username="op").exists()


def test_failed_logins_are_audited_without_the_password(client, operator):
    _login(client, "op", "not-the-password")
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor is None and event.after["username"] == "op" and event.after["ip"] == "127.0.0.1"
    assert "not-the-password" not in str(event.after)


def test_successful_login_is_audited_and_resets_the_failure_count(client, operator):
    for _ in range(4):
        _login(client, "op", "wrong")
    assert _login(client, "op", "pw").status_code == 302
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == operator and event.after["username"] == "op"
    client.post("/accounts/logout/")
    for _ in range(4):  # the count starts again after a success: four more do not lock
        _login(client, "op", "wrong")
    assert _login(client, "op", "pw").status_code == 302


def test_session_lasts_one_shift_by_default():
    assert settings.SESSION_SHIFT_HOURS == 12 and settings.SESSION_COOKIE_AGE == 12 * 3600
    assert settings.SESSION_IDLE_MINUTES == 60


def _age_session(client, **seconds_ago):
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_idle_session_expires(client, operator):
    assert _login(client, "op", "pw").status_code == 302
    assert client.get("/api/v1/me/").status_code == 200
    _age_session(client, shift_seen_at=59 * 60)
    assert client.get("/api/v1/me/").status_code == 200  # 59 idle minutes: still in
    _age_session(client, shift_seen_at=61 * 60)
    assert client.get("/api/v1/me/").status_code == 403  # 61: logged out
    assert AuditEvent.objects.filter(action="auth.session_expired", after__reason="idle").exists()


def test_background_refreshes_do_not_keep_an_idle_session_alive(client, operator):
    assert _login(client, "op", "pw").status_code == 302
    _age_session(client, shift_seen_at=30 * 60)
    assert client.get("/api/v1/me/", HTTP_X_BACKGROUND_REFRESH="1").status_code == 200
    assert time.time() - client.session[SEEN_AT] >= 30 * 60 - 5  # the idle clock did not move
    assert client.get("/api/v1/me/").status_code == 200
    assert time.time() - client.session[SEEN_AT] < 60  # a real request moves it


def test_session_ends_after_a_shift_even_when_active(client, operator):
    assert _login(client, "op", "pw").status_code == 302
    _age_session(client, shift_login_at=12 * 3600 + 1, shift_seen_at=10)
    assert client.get("/api/v1/me/").status_code == 403
    assert AuditEvent.objects.filter(action="auth.session_expired", after__reason="shift").exists()
