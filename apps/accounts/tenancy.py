"""The one place where tenancy is decided.

Every queryset that an aggregator (or any non-DSO user) can reach goes through
:func:`scope_to_user`. A model opts in by naming the path to its owning organisation in
``tenant_field``. DSO staff see everything; everyone else sees only their organisation's rows;
an anonymous user sees nothing. A foreign object is therefore simply absent: a 404, never a 403.
"""
from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def scope_to_user(queryset: QuerySet[M], user) -> QuerySet[M]:
    if user is None or not user.is_authenticated:
        return queryset.none()
    if user.is_dso_staff:
        return queryset
    field = getattr(queryset.model, "tenant_field", None)
    if field is None or user.organisation_id is None:
        # Not a tenant-owned model: deny by default.
        return queryset.none()
    return queryset.filter(**{field: user.organisation_id})
