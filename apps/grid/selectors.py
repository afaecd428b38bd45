"""Reads of the network registry."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum

from apps.accounts.tenancy import scope_to_user

from .models import Bus, DERAsset, Feeder, Line, Load, Network, Premise, Substation


def premises_for(user) -> QuerySet[Premise]:
    return scope_to_user(Premise.objects.select_related("bus", "owner", "network"), user)


def der_assets_for(user) -> QuerySet[DERAsset]:
    return scope_to_user(DERAsset.objects.select_related("bus", "owner", "premise", "network"), user)


def networks_for(user) -> QuerySet[Network]:
    """Every authenticated user may see which networks exist; their contents are scoped."""
    if not user.is_authenticated:
        return Network.objects.none()
    return Network.objects.all()


def network_summary(network: Network) -> dict:
    """The figures that matter on the control-room home page."""
    live = DERAsset.LIVE_STATUSES
    der = DERAsset.objects.filter(network=network, status__in=live)
    by_kind = {
        row["kind"]: {"count": row["n"], "mw": round(row["mw"] or 0.0, 3)}
        for row in der.values("kind").annotate(n=Count("id"), mw=Sum("rated_mw"))
    }
    loads = Load.objects.filter(network=network, in_service=True).aggregate(n=Count("id"), mw=Sum("p_mw"))
    return {
        "buses": Bus.objects.filter(network=network).count(),
        "lines": Line.objects.filter(network=network).count(),
        "substations": Substation.objects.filter(network=network).aggregate(
            primary=Count("id", filter=Q(kind=Substation.Kind.PRIMARY)),
            secondary=Count("id", filter=Q(kind=Substation.Kind.SECONDARY)),
        ),
        "feeders": Feeder.objects.filter(network=network).count(),
        "loads": loads["n"],
        "load_mw": round(loads["mw"] or 0.0, 3),
        "der": by_kind,
        "pv_mw": by_kind.get("pv", {}).get("mw", 0.0),
        "wind_mw": by_kind.get("wind", {}).get("mw", 0.0),
        "battery_mw": by_kind.get("battery", {}).get("mw", 0.0),
        "battery_mwh": round(der.filter(kind=DERAsset.Kind.BATTERY).aggregate(e=Sum("capacity_mwh"))["e"] or 0.0, 3),
        "ev_chargers": by_kind.get("ev_charger", {}).get("count", 0),
    }


_nets: dict = {}


def network_net(network: Network):
    """The network's pandapower net, exported once per revision and process (exporting the
    5,500-bus demo takes about a second; studies rerun every few minutes). Callers must not
    modify it: copy it first."""
    from .pandapower_io import export_net

    key = (network.pk, network.revision)
    if key not in _nets:
        for stale in [k for k in _nets if k[0] == network.pk]:
            del _nets[stale]
        _nets[key] = export_net(network)
    return _nets[key]
