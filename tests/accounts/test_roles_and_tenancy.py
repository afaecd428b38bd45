"""Roles and tenancy: who counts as DSO staff or engineer, what each organisation sees through
the one tenancy scope, and what ``/api/v1/me/`` says about the caller."""
from __future__ import annotations

import pytest

from apps.accounts.models import Organisation, User
from apps.accounts.tenancy import scope_to_user
from apps.grid.models import Bus, Network, Premise

# fixture -> (DSO staff?, engineer?)
ROLES = {
    "operator": (True, False),
    "engineer": (True, True),
    "admin_user": (True, True),
    "aggregator_a": (False, False),
    "tso_client": (False, False),
}


@pytest.mark.parametrize("who, expected", ROLES.items())
def test_each_role_is_staff_or_engineer_as_named(request, who, expected):
    user = request.getfixturevalue(who)
    assert (user.is_dso_staff, user.is_engineer) == expected


def test_a_dso_role_outside_the_dso_is_not_staff(orgs):
    outsider = User.objects.create_user(username="eng2", password="pw", role="engineer", organisation=orgs["agg_a"])
    unattached = User.objects.create_user(username="op2", password="pw", role="operator", organisation=None)
    assert not outsider.is_dso_staff and not outsider.is_engineer
    assert not unattached.is_dso_staff


def test_a_superuser_is_staff_and_engineer_without_an_organisation(db):
    root = User.objects.create_superuser(username="root", password="pw", email="")
    assert root.is_dso_staff and root.is_engineer


@pytest.fixture
def premises(mv_network, orgs):
    bus = Bus.objects.filter(network=mv_network).first()
    return {key: Premise.objects.create(network=mv_network, bus=bus, owner=orgs[key], name=f"Premise of {key}")
            for key in ("agg_a", "agg_b")}


def test_dso_staff_see_every_organisations_rows(operator, premises):
    assert set(scope_to_user(Premise.objects.all(), operator)) == set(premises.values())


def test_an_aggregator_sees_only_its_own_rows(aggregator_a, aggregator_b, premises):
    assert list(scope_to_user(Premise.objects.all(), aggregator_a)) == [premises["agg_a"]]
    assert list(scope_to_user(Premise.objects.all(), aggregator_b)) == [premises["agg_b"]]


def test_anonymous_and_orphan_users_see_nothing(premises, orgs):
    from django.contrib.auth.models import AnonymousUser

    orphan = User.objects.create_user(username="lost", password="pw", role="aggregator", organisation=None)
    assert not scope_to_user(Premise.objects.all(), AnonymousUser()).exists()
    assert not scope_to_user(Premise.objects.all(), orphan).exists()
    assert not scope_to_user(Premise.objects.all(), None).exists()


def test_models_without_an_owner_are_denied_to_non_staff(aggregator_a, tso_client, mv_network):
    assert scope_to_user(Network.objects.all(), aggregator_a).count() == 0
    assert scope_to_user(Network.objects.all(), tso_client).count() == 0


@pytest.mark.parametrize("who, role, kind", [
    ("operator", "operator", Organisation.Kind.DSO),
    ("aggregator_a", "aggregator", Organisation.Kind.AGGREGATOR),
    ("tso_client", "tso_client", Organisation.Kind.TSO),
])
def test_me_names_the_callers_role_and_organisation(request, client_for, who, role, kind):
    user = request.getfixturevalue(who)
    body = client_for(user).get("/api/v1/me/").json()
    assert (body["username"], body["role"], body["organisation"], body["organisation_kind"]) == (
        user.username, role, user.organisation.name, kind)


def test_me_refuses_anonymous(api_client, db):
    assert api_client.get("/api/v1/me/").status_code in (401, 403)
