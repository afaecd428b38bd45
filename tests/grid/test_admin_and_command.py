"""Back-office import (admin action and management command) and list query counts."""
from __future__ import annotations

import copy

import pandapower as pp
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.grid.models import Bus, DERAsset, Network, Premise


def test_admin_import_action_imports_an_upload(client, admin_user, mv_net):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("mv.json", pp.to_json(copy.deepcopy(mv_net)).encode())
    response = client.post("/admin/grid/network/import/", {"name": "From admin", "file": upload}, follow=True)
    assert "Imported network" in response.content.decode()
    assert Bus.objects.filter(network__name="From admin").count() == len(mv_net.bus)


def test_admin_import_action_reports_a_bad_file(client, admin_user):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("bad.json", b"nonsense")
    response = client.post("/admin/grid/network/import/", {"name": "Bad", "file": upload}, follow=True)
    assert "not a readable pandapower JSON" in response.content.decode()
    assert not Network.objects.exists()


def test_import_command_from_json_and_its_error(tmp_path, mv_net, db):
    path = tmp_path / "mv.json"
    path.write_text(pp.to_json(copy.deepcopy(mv_net)))
    call_command("import_network", "--json", str(path), "--name", "cmd")
    assert Network.objects.filter(name="cmd").exists()
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    with pytest.raises(CommandError, match="not a readable pandapower JSON"):
        call_command("import_network", "--json", str(bad), "--name", "bad")


def test_der_list_query_count_does_not_grow_with_rows(mv_network, operator, client_for, django_assert_max_num_queries):
    client = client_for(operator)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/der-assets/?limit=300")
    assert len(response.json()["results"]) == DERAsset.objects.count()


def test_audit_events_are_append_only(mv_network):
    event = AuditEvent.objects.get(action="network.imported")
    event.action = "tampered"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_premise_queryset_of_a_user_without_organisation_is_empty(mv_network, db):
    from apps.accounts.models import User
    from apps.grid.selectors import premises_for

    Premise.objects.create(network=mv_network, bus=Bus.objects.first(), name="p")
    loner = User.objects.create_user("loner", password="pw", role="aggregator")
    assert premises_for(loner).count() == 0


def test_electrical_changes_bump_the_revision_and_refresh_the_cached_net(mv_network):
    from apps.grid.models import Network, Switch
    from apps.grid.selectors import network_net
    from apps.grid.services import registry_element_save

    first = network_net(mv_network)
    assert network_net(mv_network) is first  # cached
    switch = Switch.objects.filter(network=mv_network, closed=True).first()
    switch.closed = False
    registry_element_save(element=switch)
    network = Network.objects.get(pk=mv_network.pk)
    assert network.revision == mv_network.revision + 1
    fresh = network_net(network)
    assert fresh is not first and not fresh.switch.at[switch.pp_index, "closed"]


def test_an_update_style_change_through_the_service_bumps_the_revision(mv_network):
    """``update()`` sends no signal: the service, not a signal, bumps the revision caches key on."""
    from apps.grid.models import Load
    from apps.grid.selectors import network_net
    from apps.grid.services import registry_elements_update

    first = network_net(mv_network)
    load = Load.objects.filter(network=mv_network).order_by("pp_index").first()
    updated = registry_elements_update(queryset=Load.objects.filter(pk=load.pk), p_mw=0.123)
    network = Network.objects.get(pk=mv_network.pk)
    assert updated == 1 and network.revision == mv_network.revision + 1
    assert network_net(network).load.at[load.pp_index, "p_mw"] == 0.123


def test_a_non_electrical_field_of_the_network_leaves_the_revision(mv_network):
    from apps.grid.services import network_save

    mv_network.description = "a note"
    network_save(network=mv_network, changed=["description"])
    assert Network.objects.get(pk=mv_network.pk).revision == mv_network.revision


def test_admin_edit_is_change_logged_with_actor_and_before_after(client, admin_user, mv_network):
    """NetBox-style change logging: who changed what, when, before and after, shown per object."""
    from auditlog.models import LogEntry
    from django.forms.models import model_to_dict

    bus = Bus.objects.filter(network=mv_network).order_by("pp_index").first()
    client.force_login(admin_user)
    form = {k: ("" if v is None else v) for k, v in model_to_dict(bus).items()}
    form["site_vmax_pu"] = 1.04
    response = client.post(f"/admin/grid/bus/{bus.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = LogEntry.objects.get_for_object(bus).get()
    assert entry.actor == admin_user and entry.action == LogEntry.Action.UPDATE
    assert entry.changes_dict["site_vmax_pu"] == ["None", "1.04"]
    assert Network.objects.get(pk=mv_network.pk).revision == mv_network.revision + 1  # through the service
    page = client.get(f"/admin/grid/bus/{bus.pk}/auditlog/").content.decode()
    assert "site_vmax_pu" in page.lower().replace(" ", "_") and "1.04" in page


def test_an_import_is_one_change_log_entry_not_one_per_row(db, mv_net, admin_user):
    from auditlog.models import LogEntry

    from apps.grid.services import network_delete, network_import

    network = network_import(net=copy.deepcopy(mv_net), name="logged", source="test", actor=admin_user)
    assert [(e.action, e.actor) for e in LogEntry.objects.all()] == [(LogEntry.Action.CREATE, admin_user)]
    network_delete(network=network, actor=admin_user)
    assert LogEntry.objects.count() == 2 and not Bus.objects.exists()
