"""Writes to a user's own settings."""
from __future__ import annotations

from django.db import transaction

from apps.audit.services import audit_record

from .models import User, validate_time_zone


@transaction.atomic
def user_time_zone_set(*, user: User, time_zone: str) -> User:
    """Set the zone every time is shown in for ``user`` (an IANA name such as 'Europe/London').

    Raises ``ValidationError`` for a name that is not a time zone.
    """
    time_zone = (time_zone or "").strip()
    validate_time_zone(time_zone)
    if time_zone != user.time_zone:
        before = user.time_zone
        user.time_zone = time_zone
        user.save(update_fields=["time_zone"])
        audit_record(actor=user, action="accounts.time_zone_set", obj=user,
                     before={"time_zone": before}, after={"time_zone": time_zone})
    return user

