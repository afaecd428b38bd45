"""Writes to the network registry. Each import is one transaction: a bad file changes nothing.

Every write that changes a network's electrical content goes through a service here, which bumps
``Network.revision`` (the model and net caches key on it): signals would miss ``update()`` and
``bulk_update()``. Element writes are change-logged (django-auditlog, visible per object in the
admin); an import writes one log entry, for the network, not one per bulk-created row.
"""
from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import IO

import pandapower as pp
from auditlog.context import disable_auditlog, set_actor
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.db import models, transaction
from django.db.models import F

from apps.audit.services import audit_record

from .models import Bus, DERAsset, ExternalGrid, Line, Load, Network, Shunt, Switch, Transformer
from .pandapower_io import NetworkImportError, export_net, import_net, validate_net

log = logging.getLogger(__name__)

# the rows that make up the pandapower net of a network (export_net): a change to any of them is
# a change of the network's electrical content
ELECTRICAL_MODELS = (Bus, Line, Transformer, Switch, ExternalGrid, Shunt, Load, DERAsset)
# the network's own fields that enter its pandapower net
ELECTRICAL_NETWORK_FIELDS = ("f_hz", "sn_mva")


def _as_actor(actor):
    """Change-log entries name ``actor`` (a request already names its user via the middleware)."""
    return set_actor(actor) if actor is not None else nullcontext()


def _load_simbench(code: str) -> pp.pandapowerNet:
    import simbench  # slow import; only needed here

    try:
        return simbench.get_simbench_net(code)
    except Exception as exc:  # simbench raises assorted errors for unknown codes
        raise NetworkImportError(f"'{code}' is not a SimBench code that can be loaded ({exc}).") from exc


def _parse_pandapower_json(text: str) -> pp.pandapowerNet:
    if not text or not text.strip():
        raise NetworkImportError("The file is empty.")
    try:
        net = pp.from_json_string(text)
    except Exception as exc:  # pandapower raises many types for malformed input
        raise NetworkImportError(f"The file is not a readable pandapower JSON network ({exc.__class__.__name__}: {exc}).") from exc
    if not isinstance(net, pp.pandapowerNet):
        raise NetworkImportError("The file is not a readable pandapower JSON network (it holds no pandapower net).")
    return net


def network_import(*, name: str = "", simbench_code: str = "", file: IO[bytes] | None = None,
                   net: pp.pandapowerNet | None = None, source: str = "", actor=None,
                   replace: bool = False) -> Network:
    """Create a registry network from a SimBench code, a pandapower JSON file or a net: the one
    import entry point of the admin, the API and the ``import_network`` command.

    Parameters
    ----------
    name: the registry name; must be new unless ``replace`` is set. Default: the SimBench code,
        else the file's name.
    simbench_code / file / net: exactly one of them. ``file`` is anything with ``read()`` (bytes)
        and ``name`` (an upload or an opened file).
    source: where a ``net`` came from; default ``simbench:<code>`` or ``upload:<file name>``.
    replace: delete an existing network of the same name in the same transaction.

    Raises
    ------
    NetworkImportError: the source, the net or the name is not acceptable; nothing was written.
    """
    if sum(given is not None and given != "" for given in (simbench_code, file, net)) != 1:
        raise NetworkImportError("Give exactly one of a SimBench code or a pandapower JSON file.")
    if simbench_code:
        simbench_code = simbench_code.strip()
        net, source, default_name = _load_simbench(simbench_code), f"simbench:{simbench_code}", simbench_code
    elif file is not None:
        filename = str(getattr(file, "name", "") or "")
        net = _parse_pandapower_json(file.read().decode("utf-8", "replace"))
        source, default_name = f"upload:{filename}".rstrip(":"), filename
    else:
        default_name = ""
    name = (name or default_name or "").strip()
    if not name:
        raise NetworkImportError("A network name is required.")
    validate_net(net)
    with transaction.atomic(), _as_actor(actor):
        existing = Network.objects.filter(name=name).first()
        if existing and not replace:
            raise NetworkImportError(f"A network named '{name}' already exists.")
        if existing:
            network_delete(network=existing)
        network = Network.objects.create(name=name, source=source, f_hz=float(net.f_hz), sn_mva=float(net.sn_mva))
        with disable_auditlog():  # one change-log entry per import (the network's), not one per row
            counts = import_net(network, net)
            network_limits_ensure(network=network)
        audit_record(actor=actor, action="network.imported", obj=network, after={"source": source, **counts})
    log.info("imported network %s from %s: %s", name, source, counts)
    return network


def network_export_json(*, network: Network) -> str:
    return pp.to_json(export_net(network))


def network_limits_ensure(*, network: Network) -> None:
    """Give a network the UK default voltage limits and thermal ratings it does not have yet."""
    from .limits import UK_THERMAL_RATINGS, UK_VOLTAGE_LIMITS
    from .models import ThermalRating, VoltageLimit

    if not network.voltage_limits.exists():
        VoltageLimit.objects.bulk_create([
            VoltageLimit(network=network, name=name, vn_kv_min=lo, vn_kv_max=hi, vmin_pu=vmin, vmax_pu=vmax)
            for name, lo, hi, vmin, vmax in UK_VOLTAGE_LIMITS
        ])
    have = set(network.thermal_ratings.values_list("branch_class", flat=True))
    ThermalRating.objects.bulk_create([
        ThermalRating(network=network, branch_class=cls, winter_factor=w, spring_autumn_factor=sa,
                      cyclic_percent=cyc, cyclic_minutes=minutes)
        for cls, (w, sa, cyc, minutes) in UK_THERMAL_RATINGS.items() if cls not in have
    ])


def network_delete(*, network: Network, actor=None) -> None:
    """Delete a network and everything on it: one change-log entry (the network's), not one per
    cascaded row."""
    with transaction.atomic(), _as_actor(actor):
        LogEntry.objects.log_create(network, force_log=True, action=LogEntry.Action.DELETE,
                                    changes=model_instance_diff(network, None))
        with disable_auditlog():
            network.delete()


def network_revision_bump(*, network: Network | int) -> None:
    """Mark the network's electrical content as changed: caches keyed on its revision rebuild."""
    Network.objects.filter(pk=getattr(network, "pk", network)).update(revision=F("revision") + 1)


def network_save(*, network: Network, changed: tuple[str, ...] | list[str] = (), actor=None) -> Network:
    """Save a network's own fields; ``changed`` names them (an edit of ``f_hz`` or ``sn_mva``
    changes its pandapower net)."""
    with transaction.atomic(), _as_actor(actor):
        network.save()
        if network.pk and set(changed) & set(ELECTRICAL_NETWORK_FIELDS):
            network_revision_bump(network=network)
    return network


def registry_element_save(*, element: models.Model, actor=None) -> models.Model:
    """Create or update one registry row; an electrical one bumps its network's revision."""
    with transaction.atomic(), _as_actor(actor):
        element.save()
        if isinstance(element, ELECTRICAL_MODELS):
            network_revision_bump(network=element.network_id)
    return element


def registry_element_delete(*, element: models.Model, actor=None) -> None:
    """Delete one registry row; an electrical one bumps its network's revision."""
    with transaction.atomic(), _as_actor(actor):
        network_id = element.network_id
        element.delete()
        if isinstance(element, ELECTRICAL_MODELS):
            network_revision_bump(network=network_id)


def registry_elements_update(*, queryset: models.QuerySet, actor=None, **changes) -> int:
    """``queryset.update(**changes)`` (no per-row change log, as a bulk write) that bumps the
    revision of every network whose electrical rows it changed. Returns the rows updated."""
    with transaction.atomic(), _as_actor(actor):
        networks = set(queryset.values_list("network_id", flat=True))
        updated = queryset.update(**changes)
        if updated and issubclass(queryset.model, ELECTRICAL_MODELS):
            for network_id in networks:
                network_revision_bump(network=network_id)
    return updated


def registry_elements_delete(*, queryset: models.QuerySet, actor=None) -> int:
    """Delete the rows of ``queryset`` (each change-logged) and bump the revisions they change."""
    with transaction.atomic(), _as_actor(actor):
        networks = set(queryset.values_list("network_id", flat=True))
        deleted, _ = queryset.delete()
        if deleted and issubclass(queryset.model, ELECTRICAL_MODELS):
            for network_id in networks:
                network_revision_bump(network=network_id)
    return deleted
