"""Developer default: DEBUG on, a fixed insecure key, localhost only."""
from .base import *  # noqa: F401,F403
from .base import SECRET_KEY, VAR_DIR

DEBUG = True
SECRET_KEY = SECRET_KEY or "insecure-local-development-key-do-not-use-in-production"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
VAR_DIR.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve static/ straight from the source tree, no collectstatic
