"""Deployment files agree with the code: compose commands name real modules, production
settings refuse to start without secrets, the Makefile and CI call what the README says."""
from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())


def test_compose_has_the_production_shape(compose):
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(compose["services"])
    env = compose["services"]["web"]["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == "dso_portal.settings.production"
    importlib.import_module(env["DJANGO_SETTINGS_MODULE"].rsplit(".", 1)[0])
    assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")


def test_compose_commands_point_at_real_modules(compose):
    web = " ".join(compose["services"]["web"]["command"])
    server = web.split("exec uvicorn ")[1].split()
    module, attribute = server[0].split(":")
    assert hasattr(importlib.import_module(module), attribute)
    assert "--workers" in server and "--ws" in server  # several processes behind one port, websockets kept
    for name in ("worker", "beat"):
        command = compose["services"][name]["command"]
        app_module = command[command.index("-A") + 1]
        assert importlib.import_module(app_module).celery_app.main == "dso_portal"
    build = compose["services"]["web"]["build"]  # the Dockerfile path is relative to the build context
    assert (ROOT / "docker" / build["context"] / build["dockerfile"]).resolve().is_file()


def test_dockerfile_cmd_matches_the_asgi_application():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "dso_portal.asgi:application" in dockerfile and "requirements.txt" in dockerfile


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dso_portal.settings.production",
           "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "dso.example"}
    env.pop(missing)
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0 and f"{missing} must be set" in result.stderr


def test_production_starts_with_them():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dso_portal.settings.production",
           "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "dso.example"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_ci_runs_the_readme_test_command():
    """The README's test command is a Makefile target, and CI runs that command as a step."""
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"^(make \S+)\s+# the whole test suite$", readme, re.MULTILINE).group(1)
    assert re.search(rf"^{command.split()[1]}:", (ROOT / "Makefile").read_text(), re.MULTILINE)
    ci_steps = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_steps
