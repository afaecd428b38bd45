"""Test settings: fast hashing; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set."""
from .base import *  # noqa: F401,F403
import os

from .base import DATABASES, VAR_DIR, env_bool

SECRET_KEY = "test-key"
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
VAR_DIR.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so that a daphne or Celery subprocess in a test sees the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
WHITENOISE_USE_FINDERS = True

# A queue of this test session's own, inherited by the worker it starts, so that a developer's
# running worker never picks up a test's task (and vice versa).
CELERY_TASK_DEFAULT_QUEUE = os.environ.setdefault("CELERY_QUEUE", f"tests-{os.getpid()}")
DATABASES["default"]["CONN_MAX_AGE"] = 0  # no connection outlives a test (the test DB is dropped at the end)
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # nor a pool (base turns one on for PostgreSQL)
# Process memory even when REDIS_URL is set: tests clear the cache between them (tests/conftest.py),
# which on Redis would flush the database the channel layer and broker use too.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
# Studies run inline in tests (a test's server child may turn the embedded pool on: tests/studies).
STUDY_EMBEDDED_BACKGROUND = env_bool("STUDY_EMBEDDED_BACKGROUND", False)
