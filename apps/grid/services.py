"""Writes to the network registry. Each import is one transaction: a bad file changes nothing."""
from __future__ import annotations

import logging
from typing import IO

import pandapower as pp
from django.db import transaction

from apps.audit.services import audit_record

from .models import Network
from .pandapower_io import NetworkImportError, export_net, import_net, validate_net

log = logging.getLogger(__name__)


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
    with transaction.atomic():
        existing = Network.objects.filter(name=name).first()
        if existing and not replace:
            raise NetworkImportError(f"A network named '{name}' already exists.")
        if existing:
            existing.delete()
        network = Network.objects.create(name=name, source=source, f_hz=float(net.f_hz), sn_mva=float(net.sn_mva))
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
