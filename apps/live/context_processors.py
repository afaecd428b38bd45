from django.conf import settings

from .selectors import last_seq_for_user


def portal(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "run_mode": settings.RUN_MODE,
        # The page is a snapshot as of this sequence number; the websocket brings what follows.
        "live_seq": last_seq_for_user(user) if user is not None and user.is_authenticated else 0,
    }
