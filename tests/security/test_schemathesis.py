"""Schemathesis against the live test server: every API operation, with an operator's and an
aggregator's token, positive and negative examples. No 5xx, every response as documented."""
from __future__ import annotations

import os
from collections import Counter

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Bounded so that the whole run fits the CI time: examples per operation, role and mode.
EXAMPLES = {GenerationMode.POSITIVE: int(os.environ.get("SCHEMATHESIS_EXAMPLES", 8)),
            GenerationMode.NEGATIVE: int(os.environ.get("SCHEMATHESIS_NEGATIVE_EXAMPLES", 4))}


@pytest.mark.django_db(transaction=True)
def test_every_operation_for_operator_and_aggregator(live_server, mv_network, operator, aggregator_a, capsys):
    from rest_framework.authtoken.models import Token

    tokens = {"operator": Token.objects.create(user=operator).key,
              "aggregator": Token.objects.create(user=aggregator_a).key}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    calls: Counter = Counter()
    statuses: Counter = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    def exercise_one(operation, role, token, mode, examples):
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
        @hypothesis.settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                             suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def exercise(case):
            response = case.call(base_url=live_server.url, headers={"Authorization": f"Token {token}"})
            calls[role] += 1
            statuses[response.status_code] += 1
            if os.environ.get("SCHEMATHESIS_DEBUG"):
                print(role, mode.value, operation.label, response.status_code, response.text[:150])
            try:
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # collected, not raised: no shrinking, one report
                failures.append(f"{role} {mode.value} {operation.label} -> {response.status_code}: {str(exc)[:400]}")

        try:
            exercise()
        except hypothesis.errors.Unsatisfiable:
            pass  # nothing negative to send (an operation without parameters or body)

    for operation in operations:
        for role, token in tokens.items():
            for mode, examples in EXAMPLES.items():
                exercise_one(operation, role, token, mode, examples)

    # Generated ids rarely hit a real object, so the success responses of the detail views are
    # also checked on real data (the export/figure/summary/owner/duration_s violations were there).
    for role, method, path, kwargs in _real_cases(mv_network, aggregator_a):
        case = schema[path][method].Case(**kwargs)
        response = case.call(base_url=live_server.url, headers={"Authorization": f"Token {tokens[role]}"})
        calls[role] += 1
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
            assert response.status_code < 300, response.text[:300]
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{role} real {method} {path} -> {response.status_code}: {str(exc)[:400]}")

    total = sum(calls.values())
    with capsys.disabled():
        print(f"\nRESULT schemathesis_operations={len(operations)} calls={total} operator={calls['operator']} "
              f"aggregator={calls['aggregator']} failures={len(failures)} server_errors={sum(n for code, n in statuses.items() if code >= 500)} "
              f"statuses={dict(sorted(statuses.items()))}")
    assert not any(code >= 500 for code in statuses)
    assert not failures, "\n".join(failures[:30])


def _real_cases(network, aggregator) -> list[tuple[str, str, str, dict]]:
    from apps.forecasting.services import weather_zone_ensure
    from apps.grid.models import DERAsset, Premise

    der = DERAsset.objects.filter(network=network).order_by("id").first()
    premise = Premise.objects.create(network=network, bus=der.bus, owner=aggregator.organisation, name="Mill House")
    DERAsset.objects.filter(pk=der.pk).update(premise=premise, owner=aggregator.organisation)
    zone = weather_zone_ensure(network=network)
    issued = "2026-03-02T06:00:00Z"
    rows = [{"valid_at": f"2026-03-02T06:{m:02d}:00Z", "ghi_w_m2": 10.0, "wind_speed_m_s": 3.0, "temperature_c": 5.0}
            for m in (0, 15, 30, 45)]
    pk = {"id": network.pk}
    return [
        ("operator", "GET", "/api/v1/networks/{id}/", {"path_parameters": pk}),
        ("operator", "GET", "/api/v1/networks/{id}/summary/", {"path_parameters": pk}),
        ("operator", "GET", "/api/v1/networks/{id}/figure/", {"path_parameters": pk}),
        ("operator", "GET", "/api/v1/networks/{id}/export/", {"path_parameters": pk}),
        ("operator", "GET", "/api/v1/der-assets/{id}/", {"path_parameters": {"id": der.pk}}),
        ("operator", "GET", "/api/v1/der-assets/", {"query": {"network": network.pk, "limit": 500}}),
        ("aggregator", "GET", "/api/v1/der-assets/{id}/", {"path_parameters": {"id": der.pk}}),
        ("aggregator", "GET", "/api/v1/premises/{id}/", {"path_parameters": {"id": premise.pk}}),
        ("operator", "GET", "/api/v1/premises/", {"query": {"network": network.pk}}),
        ("operator", "GET", "/api/v1/anm/projection/", {"query": {"network": network.pk}}),
        ("operator", "GET", "/api/v1/anm/alarms/", {"query": {"network": network.pk, "state": "active"}}),
        ("operator", "GET", "/api/v1/forecasting/accuracy/", {"query": {"network": network.pk, "days": 30}}),
        ("operator", "GET", "/api/v1/forecasting/zones/{id}/", {"path_parameters": {"id": zone.pk}}),
        ("operator", "POST", "/api/v1/forecasting/weather/",
         {"body": {"zone": zone.pk, "issued_at": issued, "source": "test", "rows": rows}, "media_type": "application/json"}),
        ("operator", "GET", "/api/v1/forecasting/weather/", {"query": {"zone": zone.pk}}),
        ("operator", "POST", "/api/v1/forecasting/runs/",
         {"body": {"network": network.pk, "steps": 4, "seed": 3}, "media_type": "application/json"}),
        ("operator", "GET", "/api/v1/forecasting/runs/", {"query": {"network": network.pk}}),
        ("operator", "POST", "/api/v1/studies/",
         {"body": {"kind": "snapshot", "network": network.pk}, "media_type": "application/json"}),
        ("operator", "GET", "/api/v1/studies/", {}),
        ("operator", "GET", "/api/v1/me/", {}),
        ("aggregator", "GET", "/api/v1/me/", {}),
        ("operator", "GET", "/api/v1/events/", {"query": {"after": 0}}),
    ]
