"""Browser pages through Django's test client: the operator's home, the aggregator's portal."""
from __future__ import annotations

import pytest
from pytest_django.asserts import assertInHTML

from apps.grid.models import DERAsset, Premise


@pytest.fixture
def owned(mv_network, orgs):
    der = DERAsset.objects.filter(network=mv_network, kind="battery").first()
    premise = Premise.objects.create(network=mv_network, bus=der.bus, owner=orgs["agg_a"], name="Orchard Lane 14")
    DERAsset.objects.filter(pk=der.pk).update(premise=premise, owner=orgs["agg_a"])
    other = DERAsset.objects.filter(network=mv_network, kind="battery").exclude(pk=der.pk).first()
    Premise.objects.create(network=mv_network, bus=other.bus, owner=orgs["agg_b"], name="Secret Farm 9")
    return premise


def test_login_required(client, db):
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_operator_home_shows_the_network(client, operator, mv_network):
    client.force_login(operator)
    response = client.get("/", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "MV rural" in page and "/static/vendor/plotly.min.js" in page
    # The figure is fetched by the page, not inlined (apps.common.figure_cache).
    network = response.context["network"]
    assert f'data-topology-url="/api/v1/networks/{network.pk}/figure/?revision={network.revision}"' in page
    assert '"data": [' not in page and '"type": "scatter' not in page
    assertInHTML('<div class="kpi"><b>99</b><span>buses</span></div>', page)


def test_aggregator_portal_shows_only_its_premises(client, aggregator_a, owned):
    client.force_login(aggregator_a)
    page = client.get("/").content.decode()
    assert "Orchard Lane 14" in page and "Secret Farm 9" not in page


def test_aggregator_cannot_open_the_network_view(client, aggregator_a, owned, mv_network):
    client.force_login(aggregator_a)
    assert client.get(f"/networks/{mv_network.pk}/").status_code == 403


def test_admin_lists_every_model(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/").content.decode()
    for label in ("Organisations", "Users", "Audit events", "Networks", "Buses", "Lines", "Transformers", "Switches",
                  "DER assets", "Premises", "Loads", "Feeders", "Substations", "Study runs", "Events",
                  "Projection runs", "Constraint episodes", "Alarms", "Weather zones", "Weather forecasts"):
        assert label in page, label


def test_network_picker_links_every_network(client, operator, mv_network):
    from apps.grid.models import Network

    other = Network.objects.create(name="Second grid")
    client.force_login(operator)
    for url in (f"/networks/{mv_network.pk}/", f"/anm/networks/{mv_network.pk}/"):
        page = client.get(url).content.decode()
        assertInHTML(f'<option value="{url.replace(str(mv_network.pk), str(other.pk))}">Second grid</option>', page)


def test_the_portal_filters_its_lists_like_the_api(client, aggregator_a, owned, mv_network):
    from apps.grid.models import Network

    other = Network.objects.create(name="Second grid")
    client.force_login(aggregator_a)
    assert "Orchard Lane 14" in client.get("/", {"network": mv_network.pk}).content.decode()
    assert "Orchard Lane 14" not in client.get("/", {"network": other.pk}).content.decode()
