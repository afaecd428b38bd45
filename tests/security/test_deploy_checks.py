"""Django's deployment checklist and the OpenAPI schema are clean: `check --deploy` with the
production settings and `spectacular --validate --fail-on-warn` both exit 0 with no warning."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never would.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=300)


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING",
                     DJANGO_SETTINGS_MODULE="dso_portal.settings.production",
                     SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="dso.example")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_sends_hsts_and_secure_cookies():
    code = ("from django.conf import settings as s; "
            "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
            "s.SESSION_COOKIE_NAME)")
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "dso_portal.settings.production",
                                 "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "dso.example"},
                            capture_output=True, text=True)
    assert result.stdout.split() == ["31536000", "True", "True", "True", "__Host-sessionid"], result.stderr


def test_openapi_schema_validates_without_warnings(tmp_path):
    result = _manage("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"),
                     DJANGO_SETTINGS_MODULE="dso_portal.settings.test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warnings: 0" not in result.stderr or "Errors:   0" in result.stderr
