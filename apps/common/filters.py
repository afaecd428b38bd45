"""FilterSet helpers shared by the apps' ``filters.py`` (NetBox style: one FilterSet per list,
used by the API and by the page that shows the same list)."""
from __future__ import annotations

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation

BIGINT_MAX = 2**63 - 1


class WholeNumberFilter(django_filters.NumberFilter):
    """A whole number within the database's bigint (django-filter's NumberFilter takes decimals)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


def bound_filterset(view, queryset) -> django_filters.FilterSet:
    """The view's FilterSet bound to the query string and checked: a bad parameter answers 400
    with a message under its name, exactly as ``DjangoFilterBackend`` does for list views.

    For views that need the cleaned values too (a report about one network), not only ``.qs``.
    """
    filterset = DjangoFilterBackend().get_filterset(view.request, queryset, view)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return filterset
