"""Registry import/export: the exported net must be the SimBench net, electrically."""
from __future__ import annotations

import copy
import io

import numpy as np
import pandapower as pp
import pytest

from apps.audit.models import AuditEvent
from apps.grid.models import Bus, DERAsset, Feeder, Line, Load, Network, Substation, Switch
from apps.grid.pandapower_io import NetworkImportError, export_net
from apps.grid.services import network_import


def _max_dv(reference, exported) -> float:
    pp.runpp(reference)
    pp.runpp(exported)
    joined = reference.res_bus.vm_pu.align(exported.res_bus.vm_pu, join="outer")
    assert not joined[0].isna().any() and not joined[1].isna().any(), "bus sets differ"
    return float(np.max(np.abs(joined[0] - joined[1])))


def test_mv_roundtrip_gives_the_same_power_flow(mv_network, mv_net):
    exported = export_net(mv_network)
    assert len(exported.bus) == len(mv_net.bus) and len(exported.storage) == len(mv_net.storage)
    assert _max_dv(copy.deepcopy(mv_net), exported) <= 1e-9
    assert (exported.res_line.loading_percent - mv_net.res_line.loading_percent).abs().max() <= 1e-7 if len(mv_net.res_line) else True


@pytest.mark.django_db
def test_full_mvlv_roundtrip_gives_the_same_power_flow():
    import simbench

    from apps.grid.engine.taps import apply_tap_defaults

    reference = simbench.get_simbench_net("1-MVLV-rural-all-2-sw")
    apply_tap_defaults(reference)  # SimBench's tap positions act, as the import makes them
    network = network_import(simbench_code="1-MVLV-rural-all-2-sw")
    assert Bus.objects.filter(network=network).count() == len(reference.bus)
    exported = export_net(network)
    assert _max_dv(reference, exported) <= 1e-9
    columns = ["tap_pos", "tap_min", "tap_max", "tap_neutral", "tap_step_percent", "tap_side", "tap_changer_type"]
    assert exported.trafo[columns].equals(reference.trafo.loc[exported.trafo.index, columns].astype(exported.trafo[columns].dtypes))
    assert set(exported.trafo.tap_pos) == {-1.0, 0.0, 1.0}  # SimBench's MV/LV units at ±1 x 2.5 %
    # OLTC on the two 110/20 kV units only, at the documented default target and band
    oltc = exported.trafo[exported.trafo.oltc_control]
    assert sorted(oltc.vn_lv_kv) == [20.0, 20.0] and (oltc.oltc_vm_set_pu == 1.0).all() and (oltc.oltc_band_pu == 0.025).all()


def test_import_makes_simbench_taps_act(mv_network):
    from apps.grid.models import Transformer

    units = Transformer.objects.filter(network=mv_network)
    assert all(t.tap_changer_type == "Ratio" and t.oltc_enabled for t in units)  # 110/20 kV primaries
    assert {(t.tap_min, t.tap_max, t.tap_step_percent, t.tap_side) for t in units} == {(-9.0, 9.0, 1.5, "hv")}


def test_import_derives_substations_feeders_and_profiles(mv_network, mv_net):
    assert Substation.objects.filter(network=mv_network, kind="primary").exists()
    feeders = Feeder.objects.filter(network=mv_network)
    assert feeders.count() >= 4
    assert all(f.capacity_mva > 0 for f in feeders)
    assert Bus.objects.filter(network=mv_network, feeder__isnull=False).count() >= len(mv_net.bus) - 4
    assert Load.objects.filter(network=mv_network).exclude(profile="").count() == len(mv_net.load)
    wind = DERAsset.objects.filter(network=mv_network, kind="wind")
    assert wind.count() == 6 and all(w.profile for w in wind)
    assert DERAsset.objects.filter(network=mv_network, kind="battery").count() == len(mv_net.storage)
    assert AuditEvent.objects.filter(action="network.imported", object_id=str(mv_network.pk)).exists()


def test_open_switches_survive_the_roundtrip(mv_network, mv_net):
    exported = export_net(mv_network)
    assert (~exported.switch.closed).sum() == (~mv_net.switch.closed.astype(bool)).sum() > 0
    assert Switch.objects.filter(network=mv_network, closed=False).count() > 0


def _counts() -> tuple:
    return tuple(model.objects.count() for model in (Network, Bus, Line, Load, DERAsset, Switch))


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("{not json", "not a readable pandapower JSON"),
        ('{"a": 1}', "not a readable pandapower JSON"),
    ],
)
def test_bad_json_is_rejected_and_changes_nothing(mv_network, text, message):
    before = _counts()
    with pytest.raises(NetworkImportError, match=message):
        network_import(file=io.BytesIO(text.encode()), name="bad")
    assert _counts() == before


def test_invalid_net_is_rejected_whole_with_every_problem_named(mv_network, mv_net):
    broken = copy.deepcopy(mv_net)
    broken.line.loc[broken.line.index[0], "to_bus"] = 99999  # a dangling reference
    broken.load.loc[broken.load.index[0], "p_mw"] = np.nan
    before = _counts()
    with pytest.raises(NetworkImportError) as caught:
        network_import(file=io.BytesIO(pp.to_json(broken).encode()), name="broken")
    assert "unknown bus(es) [99999]" in str(caught.value)
    assert "no value for 'p_mw'" in str(caught.value)
    assert _counts() == before


def test_failure_midway_rolls_back_everything(mv_network, mv_net, monkeypatch):
    """A failure after rows were written (here: in topology) leaves nothing behind."""
    from apps.grid import pandapower_io

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pandapower_io, "_store_topology", explode)
    before = _counts()
    with pytest.raises(RuntimeError):
        network_import(net=copy.deepcopy(mv_net), name="half", source="test")
    assert _counts() == before


def test_duplicate_name_is_refused_unless_replacing(mv_network, mv_net):
    with pytest.raises(NetworkImportError, match="already exists"):
        network_import(net=copy.deepcopy(mv_net), name="MV rural", source="again")
    replaced = network_import(net=copy.deepcopy(mv_net), name="MV rural", source="again", replace=True)
    assert Network.objects.filter(name="MV rural").get().pk == replaced.pk != mv_network.pk


def test_unknown_simbench_code_gives_a_clear_error(db):
    with pytest.raises(NetworkImportError, match="not a SimBench code"):
        network_import(simbench_code="9-NOPE--0-xx")
    assert Network.objects.count() == 0


def test_pv_storage_rows_become_a_pv_system_and_a_home_battery(mv_network, mv_net):
    """SimBench's PV_Storage (p_mw = −PV rating, profile "Storage_PVx_…") is PV behind a home
    battery: the registry holds both, at the same bus, and the static injection is unchanged."""
    row = mv_net.storage.iloc[0]
    assert row.type == "PV_Storage" and row.p_mw < 0
    battery = DERAsset.objects.get(network=mv_network, pp_element="storage", pp_index=int(mv_net.storage.index[0]))
    pv = DERAsset.objects.get(network=mv_network, pp_element="sgen", name=f"{row['name']} PV")
    assert pv.kind == "pv" and pv.bus_id == battery.bus_id and pv.pp_index >= len(mv_net.sgen)
    assert pv.rated_mw == pytest.approx(-row.p_mw) and pv.p_mw == pytest.approx(-row.p_mw)
    # MV networks aggregate an LV grid's PV_Storage under its name, also its renewables profile
    # (LV networks: "Storage_PV8_L1-A" -> "PV8").
    assert row.profile == "lv_rural1" and pv.profile == "lv_rural1"
    assert battery.kind == "battery" and battery.p_mw == 0.0 and battery.profile == ""
    assert battery.capacity_mwh == pytest.approx(row.max_e_mwh)                      # 2 kWh per kWp in SimBench
    assert battery.rated_mw == pytest.approx(abs(row.min_p_mw))
    assert battery.efficiency_percent == pytest.approx(95.0)                         # SimBench stores 0.95
    assert battery.reserve_percent == pytest.approx(0.0)
    assert battery.operating_mode == DERAsset.OperatingMode.SELF_CONSUMPTION
    assert DERAsset.objects.filter(network=mv_network, kind="pv").count() == (
        mv_net.sgen.type.str.contains("PV").sum() + len(mv_net.storage))


def test_registry_feeders_are_the_engines(mv_network, mv_net):
    """One derivation: the registry stores the engine's feeders (head line, capacity), and every
    line of a feeder lies on buses of that feeder."""
    from apps.grid.engine import from_pandapower

    engine = {f.head_line: f for f in from_pandapower(copy.deepcopy(mv_net)).feeders}
    stored = {f.head_line.pp_index: f for f in Feeder.objects.filter(network=mv_network).select_related("head_line")}
    assert stored.keys() == engine.keys()
    assert {k: f.capacity_mva for k, f in stored.items()} == pytest.approx({k: f.capacity_mva for k, f in engine.items()})
    for line in Line.objects.filter(network=mv_network, feeder__isnull=False).select_related("feeder__head_line", "to_bus"):
        assert line.to_bus.pp_index in engine[line.feeder.head_line.pp_index].bus_indices


def _with_shunt(mv_net):
    net = copy.deepcopy(mv_net)
    pp.create_shunt(net, int(net.bus.index[5]), q_mvar=0.4, p_mw=0.01, step=2, max_step=3, name="reactor")
    return net


def test_shunts_are_imported_and_exported_as_the_engine_models_them(db, mv_net):
    """Shunts: the engine models them, so the registry stores them too (same power flow back)."""
    net = _with_shunt(mv_net)
    network = network_import(net=copy.deepcopy(net), name="with shunt", source="test")
    exported = export_net(network)
    assert list(exported.shunt.name) == ["reactor"] and int(exported.shunt.step.iloc[0]) == 2
    assert _max_dv(net, exported) <= 1e-9


@pytest.mark.parametrize("edit, message", [
    (lambda net: net.load.__setitem__("const_z_p_percent", 50.0), "ZIP"),
    (lambda net: pp.create_gen(net, int(net.bus.index[3]), p_mw=1.0), "'gen'"),
    (lambda net: pp.create_load_dc(net, pp.create_bus_dc(net, vn_kv=1.0), p_dc_mw=0.1), "'load_dc'"),
])
def test_what_the_engine_does_not_model_is_refused_at_import(db, mv_net, edit, message):
    """Import and engine read one list (apps.grid.engine.elements): no silently different net."""
    from apps.grid.engine import UnsupportedElementError, from_pandapower

    net = copy.deepcopy(mv_net)
    edit(net)
    with pytest.raises(UnsupportedElementError, match=message):
        from_pandapower(net)
    with pytest.raises(NetworkImportError, match=message):
        network_import(net=net, name="refused", source="test")
    assert Network.objects.count() == 0
