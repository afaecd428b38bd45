"""Registry API: tenancy (a foreign object is a 404), roles, import and export."""
from __future__ import annotations

import copy

import pandapower as pp
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.grid.models import Bus, DERAsset, Network, Premise


@pytest.fixture
def premises(mv_network, orgs):
    """One premise with a battery for each aggregator."""
    made = {}
    for key in ("agg_a", "agg_b"):
        der = DERAsset.objects.filter(network=mv_network, kind="battery", premise__isnull=True).first()
        premise = Premise.objects.create(network=mv_network, bus=der.bus, owner=orgs[key], name=f"Home {key}")
        der.premise, der.owner = premise, orgs[key]
        der.save()
        made[key] = (premise, der)
    return made


def test_aggregator_lists_only_its_own_premises_and_assets(premises, client_for, aggregator_a):
    client = client_for(aggregator_a)
    own_premise, own_der = premises["agg_a"]
    listed = client.get("/api/v1/premises/").json()["results"]
    assert [p["id"] for p in listed] == [own_premise.pk]
    assets = client.get("/api/v1/der-assets/").json()["results"]
    assert [a["id"] for a in assets] == [own_der.pk]


def test_another_aggregators_objects_are_404(premises, client_for, aggregator_a):
    client = client_for(aggregator_a)
    foreign_premise, foreign_der = premises["agg_b"]
    assert client.get(f"/api/v1/premises/{foreign_premise.pk}/").status_code == 404
    assert client.get(f"/api/v1/der-assets/{foreign_der.pk}/").status_code == 404
    unowned = DERAsset.objects.filter(owner__isnull=True).first()
    assert client.get(f"/api/v1/der-assets/{unowned.pk}/").status_code == 404


def test_operator_sees_every_asset(premises, client_for, operator, mv_network):
    response = client_for(operator).get("/api/v1/der-assets/?limit=1")
    assert response.json()["count"] == DERAsset.objects.filter(network=mv_network).count()


def test_anonymous_is_refused(premises, api_client):
    assert api_client.get("/api/v1/premises/").status_code in (401, 403)


def test_token_auth_for_machine_clients(tso_client, api_client):
    response = api_client.post("/api/v1/auth/token/", {"username": "tso", "password": "pw"})
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me/").json()
    assert me["role"] == "tso_client" and me["organisation"] == "Org tso"


@pytest.mark.parametrize("role_fixture, status", [("engineer", 201), ("operator", 403), ("aggregator_a", 403)])
def test_only_engineers_import(request, client_for, mv_net, role_fixture, status):
    client = client_for(request.getfixturevalue(role_fixture))
    upload = SimpleUploadedFile("mv.json", pp.to_json(copy.deepcopy(mv_net)).encode(), content_type="application/json")
    response = client.post("/api/v1/networks/import/", {"name": "Uploaded MV", "file": upload}, format="multipart")
    assert response.status_code == status, response.content
    assert Network.objects.filter(name="Uploaded MV").exists() == (status == 201)


def test_bad_upload_gives_a_clear_400_and_changes_nothing(mv_network, client_for, engineer):
    before = (Network.objects.count(), Bus.objects.count())
    upload = SimpleUploadedFile("bad.json", b'{"truncated": ', content_type="application/json")
    response = client_for(engineer).post("/api/v1/networks/import/", {"name": "Bad", "file": upload}, format="multipart")
    assert response.status_code == 400
    assert "not a readable pandapower JSON" in response.json()["detail"]
    assert (Network.objects.count(), Bus.objects.count()) == before


def test_import_requires_exactly_one_source(client_for, engineer, db):
    response = client_for(engineer).post("/api/v1/networks/import/", {"name": "x"}, format="json")
    assert response.status_code == 400
    assert "exactly one" in str(response.json())


def test_export_is_a_loadable_pandapower_net(mv_network, client_for, engineer, mv_net):
    response = client_for(engineer).get(f"/api/v1/networks/{mv_network.pk}/export/")
    assert response.status_code == 200
    net = pp.from_json_string(response.content.decode())
    # Every SimBench PV_Storage row comes back as a PV sgen plus its home battery (docs/simbench-mapping.md).
    assert len(net.bus) == len(mv_net.bus) and len(net.sgen) == len(mv_net.sgen) + len(mv_net.storage)
    assert len(net.storage) == len(mv_net.storage)


def test_summary_and_figure_for_staff_only(mv_network, client_for, operator, aggregator_a):
    summary = client_for(operator).get(f"/api/v1/networks/{mv_network.pk}/summary/").json()
    assert summary["buses"] == 99 and summary["wind_mw"] > 0
    figure = client_for(operator).get(f"/api/v1/networks/{mv_network.pk}/figure/").json()
    assert {t["name"] for t in figure["data"]} >= {"Wind (6)", "Primary substations"}
    assert client_for(aggregator_a).get(f"/api/v1/networks/{mv_network.pk}/summary/").status_code == 403


def test_schema_is_served(client_for, operator):
    response = client_for(operator).get("/api/schema/")
    assert response.status_code == 200 and b"/api/v1/premises/" in response.content
