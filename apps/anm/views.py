"""The ANM constraint projections page (operators and engineers): rendered on the server, with
named partials (``templates/anm/projections.html``) served alone so that live events swap only
what changed."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.decorators import dso_staff_required
from apps.grid.models import Network
from apps.grid.selectors import network_default
from apps.studies.selectors import study_run_state_word

from .events import AlarmSerializer
from .models import Alarm
from .selectors import (
    alarm_rows,
    curtailment_totals,
    latest_projection,
    open_alarms,
    projection_cards,
    projection_figures,
    projection_payload,
    projection_run_header,
)
from .services import ProjectionInputError, alarm_acknowledge, projection_request

TEMPLATE = "anm/projections.html"
STALE_AFTER = dt.timedelta(minutes=30)


def _run_stale(run: dict | None) -> bool:
    return bool(run) and timezone.now() - parse_datetime(run["finished_at"]) > STALE_AFTER


@dso_staff_required
def projections_home(request):
    network = network_default()
    return redirect("anm-projections", pk=network.pk) if network else redirect("home")


@dso_staff_required
def projections(request, pk: int):
    network = get_object_or_404(Network, pk=pk)
    payload = projection_payload(network)
    return render(request, TEMPLATE, {
        "network": network, "networks": Network.objects.all(), "payload": payload,
        "run_stale": _run_stale(payload["run"]),
    })


# Each partial and the part of the page's data it needs (not the whole payload for one row).
def _header(network) -> dict:
    run = projection_run_header(latest_projection(network))
    return {"run": run, "alarms": alarm_rows(open_alarms(network))}


def _kpis(network) -> dict:
    """The tiles count the lists they stand above: cards, LV rows and alarms."""
    run = latest_projection(network)
    return {"run": projection_run_header(run), "alarms": alarm_rows(open_alarms(network)), **projection_cards(run)}


def _cards(network) -> dict:
    run = latest_projection(network)
    return {"run": projection_run_header(run), **projection_cards(run)}


PARTS = {
    "projection-age": _header,
    "kpis": _kpis,
    "figures": lambda network: projection_figures(latest_projection(network)),
    "mv-cards": _cards,
    "lv-rows": lambda network: projection_cards(latest_projection(network)),
    "alarm-rows": lambda network: {"alarms": alarm_rows(open_alarms(network))},
    "curtailment-rows": lambda network: {"curtailment": curtailment_totals(network)},
}


@dso_staff_required
@require_GET
def projection_partial(request, pk: int, name: str):
    """One named partial of the page, for an in-place swap (``?alarm=<id>`` for one alarm row)."""
    network = get_object_or_404(Network, pk=pk)
    if name == "alarm-row":
        alarm = get_object_or_404(Alarm.objects.select_related("acknowledged_by"), pk=request.GET.get("alarm") or 0,
                                  network=network)
        return render(request, f"{TEMPLATE}#alarm-row", {"network": network, "alarm": AlarmSerializer(alarm).data})
    if name not in PARTS:
        raise Http404("No such part of the page.")
    payload = PARTS[name](network)
    return render(request, f"{TEMPLATE}#{name}", {"network": network, "payload": payload,
                                                   "run_stale": _run_stale(payload.get("run"))})


@dso_staff_required
@require_POST
def alarm_acknowledge_row(request, pk: int, alarm_id: int):
    """Acknowledge from the page: the acknowledged row comes back, swapped in place."""
    network = get_object_or_404(Network, pk=pk)
    alarm = get_object_or_404(Alarm, pk=alarm_id, network=network)
    try:
        alarm = alarm_acknowledge(alarm=alarm, user=request.user)
    except ProjectionInputError as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain")
    return render(request, f"{TEMPLATE}#alarm-row", {"network": network, "alarm": AlarmSerializer(alarm).data})


@dso_staff_required
@require_POST
def projection_run(request, pk: int):
    network = get_object_or_404(Network, pk=pk)
    study = projection_request(network=network, requested_by=request.user)
    word = study_run_state_word(study)
    messages.info(request, f"Projection #{study.pk} {word}" + ("; the view updates when it completes." if word == "queued"
                                                              else "."), extra_tags=f"run-{study.pk}")
    return redirect("anm-projections", pk=network.pk)
