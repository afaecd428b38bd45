"""Query parameters of the registry lists (premises, DER assets)."""
from __future__ import annotations

import django_filters

from .models import DERAsset, Premise


class PremiseFilterSet(django_filters.FilterSet):
    class Meta:
        model = Premise
        fields = ["network", "owner"]


class DERAssetFilterSet(django_filters.FilterSet):
    class Meta:
        model = DERAsset
        fields = ["network", "kind", "status", "premise", "owner"]
