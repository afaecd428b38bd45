"""The ANM constraint projections page (operators and engineers)."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.decorators import dso_staff_required
from apps.grid.models import Network
from apps.grid.selectors import network_default

from .selectors import projection_payload
from .services import projection_request


@dso_staff_required
def projections_home(request):
    network = network_default()
    return redirect("anm-projections", pk=network.pk) if network else redirect("home")


@dso_staff_required
def projections(request, pk: int):
    network = get_object_or_404(Network, pk=pk)
    return render(request, "anm/projections.html", {
        "network": network, "networks": Network.objects.all(), "payload": projection_payload(network),
    })


@dso_staff_required
@require_POST
def projection_run(request, pk: int):
    network = get_object_or_404(Network, pk=pk)
    study = projection_request(network=network, requested_by=request.user)
    messages.info(request, f"Projection #{study.pk} queued; the view updates when it completes.")
    return redirect("anm-projections", pk=network.pk)
