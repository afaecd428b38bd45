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

    first = network_net(mv_network)
    assert network_net(mv_network) is first  # cached
    switch = Switch.objects.filter(network=mv_network, closed=True).first()
    switch.closed = False
    switch.save()
    network = Network.objects.get(pk=mv_network.pk)
    assert network.revision == mv_network.revision + 1
    fresh = network_net(network)
    assert fresh is not first and not fresh.switch.at[switch.pp_index, "closed"]
