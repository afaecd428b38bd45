"""Developer default: DEBUG on, a fixed insecure key, localhost only."""
from .base import *  # noqa: F401,F403
from .base import SECRET_KEY, STATIC_MANIFEST, VAR_DIR, env_bool

DEBUG = env_bool("DEBUG", True)  # scripts/run.sh turns it off in production shape
SECRET_KEY = SECRET_KEY or "insecure-local-development-key-do-not-use-in-production"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
VAR_DIR.mkdir(parents=True, exist_ok=True)
# Serve static/ straight from the source tree, no collectstatic (unless collected: DSO_STATIC_MANIFEST).
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
