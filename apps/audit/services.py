from __future__ import annotations

from typing import Any

from django.db.models import Model

from .context import request_id_var
from .models import AuditEvent


def audit_record(
    *,
    actor,
    action: str,
    obj: Model | None = None,
    before: Any = None,
    after: Any = None,
    organisation=None,
) -> AuditEvent:
    """Append one audit event. Call inside the transaction that makes the change."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if organisation is None and actor is not None:
        organisation = actor.organisation
    return AuditEvent.objects.create(
        actor=actor,
        organisation=organisation,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before,
        after=after,
        request_id=request_id_var.get(),
    )
