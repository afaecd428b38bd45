"""The ANM constraint projections page (operators and engineers)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.grid.models import Network

from .selectors import projection_payload
from .services import projection_request


def _staff(request) -> None:
    if not request.user.is_dso_staff:
        raise PermissionDenied("ANM projections are for DSO staff.")


@login_required
def projections_home(request):
    _staff(request)
    network = Network.objects.order_by("id").first()
    return redirect("anm-projections", pk=network.pk) if network else redirect("home")


@login_required
def projections(request, pk: int):
    _staff(request)
    network = get_object_or_404(Network, pk=pk)
    return render(request, "anm/projections.html", {
        "network": network, "networks": Network.objects.all(), "payload": projection_payload(network),
    })


@login_required
@require_POST
def projection_run(request, pk: int):
    _staff(request)
    network = get_object_or_404(Network, pk=pk)
    study = projection_request(network=network, requested_by=request.user)
    messages.info(request, f"Projection #{study.pk} queued; the view updates when it completes.")
    return redirect("anm-projections", pk=network.pk)
