"""Query parameters of the study-run list."""
from __future__ import annotations

import django_filters

from .models import StudyRun


class StudyRunFilterSet(django_filters.FilterSet):
    class Meta:
        model = StudyRun
        fields = ["kind", "state", "network"]
