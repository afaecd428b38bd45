"""Shared fixtures: named role users (an operator, an engineer, two aggregators, a TSO client,
an admin) and session-scoped SimBench nets."""
from __future__ import annotations

import copy
import datetime as dt

import pytest


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Every test starts with empty process caches: a reused primary key (SQLite restarts them)
    must never hand one test another test's cached net, model or forecast."""
    from django.core.cache import cache

    from apps.common.caches import clear_process_caches

    clear_process_caches()
    cache.clear()  # the Django cache too (figure JSON keyed by primary key)
    yield
    clear_process_caches()
    cache.clear()


@pytest.fixture(scope="session")
def mv_net():
    """SimBench 1-MV-rural--2-sw as a pandapower net (read once per session; copy before changing)."""
    import simbench

    return simbench.get_simbench_net("1-MV-rural--2-sw")


@pytest.fixture
def orgs(db):
    from apps.accounts.models import Organisation

    kinds = {"dso": "dso", "agg_a": "aggregator", "agg_b": "aggregator", "tso": "tso"}
    return {key: Organisation.objects.create(name=f"Org {key}", kind=kind) for key, kind in kinds.items()}


# fixture -> (username, role, organisation, extra fields): one named user per role
ROLE_USERS = {
    "operator": ("op", "operator", "dso", {}),
    "engineer": ("eng", "engineer", "dso", {}),
    "admin_user": ("adm", "admin", "dso", {"is_staff": True, "is_superuser": True}),
    "aggregator_a": ("agg_a", "aggregator", "agg_a", {}),
    "aggregator_b": ("agg_b", "aggregator", "agg_b", {}),
    "tso_client": ("tso", "tso_client", "tso", {}),
}


def _role_user_fixture(name: str, username: str, role: str, organisation: str, extra: dict):
    @pytest.fixture(name=name)
    def role_user(orgs):
        from apps.accounts.models import User

        return User.objects.create_user(username=username, password="pw", role=role,
                                        organisation=orgs[organisation], **extra)

    return role_user


for _name, _spec in ROLE_USERS.items():
    globals()[_name] = _role_user_fixture(_name, *_spec)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for(api_client):
    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login


@pytest.fixture
def mv_network(db, mv_net):
    """The MV SimBench net imported into the registry."""
    from apps.grid.services import network_import

    return network_import(net=copy.deepcopy(mv_net), name="MV rural", source="simbench:1-MV-rural--2-sw")


@pytest.fixture
def flexible_generators(mv_network):
    """The MV generators connected on flexible (ANM) terms, each with its own offer date (a later
    pp_index accepted later); the household-scale ones stay firm, and the rooftop PV split out of
    SimBench's PV_Storage rows stays G98 micro-generation."""
    from apps.grid.models import DERAsset

    rows = list(DERAsset.objects.filter(network=mv_network, pp_element="sgen").exclude(connection_type="g98"))
    for der in rows:
        der.connection_type = "flexible" if der.rated_mw >= 0.1 else "firm"
        der.offer_accepted_on = dt.date(2005, 1, 1) + dt.timedelta(days=30 * der.pp_index)
    DERAsset.objects.bulk_update(rows, ["connection_type", "offer_accepted_on"])
    return mv_network


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process, even when a broker is configured (CI sets REDIS_URL)."""
    from dso_portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
