"""Browser pages: the control-room home for DSO staff, the portal for aggregators, the TSO
client's page of what it can do over the API."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.decorators import dso_staff_required
from apps.grid.filters import DERAssetFilterSet, PremiseFilterSet
from apps.grid.models import Feeder, Network
from apps.grid.selectors import (
    der_assets_for,
    feeder_bounds,
    network_default,
    network_summary,
    premises_for,
    snapshot_worst,
)
from apps.grid.study_kinds import SNAPSHOT
from apps.studies.selectors import study_run_latest_succeeded, study_run_state_word, study_runs_for
from apps.studies.services import study_run_create


@login_required
def home(request):
    if not request.user.is_dso_staff:
        return tso_home(request) if request.user.role == request.user.Role.TSO_CLIENT else portal(request)
    network = network_default()
    if network is None:
        return render(request, "controlroom/empty.html")
    return redirect("network-detail", pk=network.pk)


@dso_staff_required
def network_detail(request, pk: int):
    network = get_object_or_404(Network, pk=pk)
    snapshot = study_run_latest_succeeded(network=network, kind=SNAPSHOT)
    bounds = feeder_bounds(network)
    # ?feeder=<id>: the figures open zoomed to that feeder and the worst list is its own
    raw = request.GET.get("feeder", "")
    feeder = Feeder.objects.filter(network=network, pk=int(raw)).first() if raw.isdigit() else None
    box = bounds.get(feeder.pk) if feeder else None
    # The figures are not inlined: the page fetches them (cached per revision / per run) and
    # applies the zoom box itself, so one cached figure serves every feeder's view.
    return render(request, "controlroom/network.html", {
        "network": network,
        "networks": Network.objects.all(),
        "summary": network_summary(network),
        "snapshot": snapshot,
        "zoom": box,
        "worst": snapshot_worst(network, snapshot.result, feeder=feeder) if snapshot else [],
        "feeders": sorted(((pk, b["name"]) for pk, b in bounds.items()), key=lambda f: f[1]),
        "feeder": feeder,
        "runs": study_runs_for(request.user).filter(network=network)[:8],
    })


# The network page's named partials (templates/controlroom/network.html), swapped in place on
# live study events, and what each needs.
NETWORK_TEMPLATE = "controlroom/network.html"
NETWORK_PARTS = {
    "snapshot-panel": lambda request, network: {
        "snapshot": study_run_latest_succeeded(network=network, kind=SNAPSHOT)},
    "runs": lambda request, network: {"runs": study_runs_for(request.user).filter(network=network)[:8]},
}


@dso_staff_required
@require_GET
def network_partial(request, pk: int, name: str):
    """One named partial of the network page, for an in-place swap."""
    network = get_object_or_404(Network, pk=pk)
    if name not in NETWORK_PARTS:
        raise Http404("No such part of the page.")
    return render(request, f"{NETWORK_TEMPLATE}#{name}", {"network": network, **NETWORK_PARTS[name](request, network)})


@dso_staff_required
@require_POST
def network_run_snapshot(request, pk: int):
    network = get_object_or_404(Network, pk=pk)
    run = study_run_create(kind=SNAPSHOT, network=network, requested_by=request.user)
    messages.info(request, f"Snapshot power flow #{run.pk} {study_run_state_word(run)}.", extra_tags=f"run-{run.pk}")
    return redirect("network-detail", pk=network.pk)


def portal(request):
    # The API's FilterSets, so ?network=, ?kind=, ?status= narrow the page as they do the API.
    premises = PremiseFilterSet(request.GET, queryset=premises_for(request.user)).qs
    assets = DERAssetFilterSet(request.GET, queryset=der_assets_for(request.user)).qs
    return render(request, "controlroom/portal.html", {
        "premises": premises.prefetch_related("der_assets", "loads").order_by("reference", "name"),
        "assets": assets.order_by("premise__name", "kind"),
    })


def tso_home(request):
    """The TSO client's landing page: what it can do over the API (its own pages come with the
    TSO issue); no aggregator portal with nothing in it."""
    return render(request, "controlroom/tso.html")
