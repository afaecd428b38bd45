"""Every state-machine transition audited, in the transaction that makes it.

A workflow model (a django-fsm-2 ``FSMField``) names the audit action of each transition in its
declaration, ``@transition(..., custom={"audit": "alarm.acknowledged"})``, and its app connects
:func:`audit_transition` to ``post_transition`` for that model in ``AppConfig.ready()``. A
transition a person makes takes them as ``by=``; one the system makes (a worker, the reaper, a
projection run) has no actor and is recorded against the object's organisation, if it has one.
"""
from __future__ import annotations

from .services import audit_record


def audit_transition(sender, instance, name: str, source, target, method_kwargs=None, **kwargs) -> None:
    transition = getattr(instance, name)._django_fsm.get_transition(source)
    action = (transition.custom or {}).get("audit") if transition is not None else None
    if not action:
        return
    actor = (method_kwargs or {}).get("by")
    audit_record(actor=actor, action=action, obj=instance, before={"state": source}, after={"state": target},
                 organisation=None if actor is not None else getattr(instance, "organisation", None))
