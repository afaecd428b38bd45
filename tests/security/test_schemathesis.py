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

    total = sum(calls.values())
    with capsys.disabled():
        print(f"\nRESULT schemathesis_operations={len(operations)} calls={total} operator={calls['operator']} "
              f"aggregator={calls['aggregator']} failures={len(failures)} server_errors={sum(n for code, n in statuses.items() if code >= 500)} "
              f"statuses={dict(sorted(statuses.items()))}")
    assert not any(code >= 500 for code in statuses)
    assert not failures, "\n".join(failures[:30])
