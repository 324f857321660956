"""Schemathesis against the generated document, with a seeded shop and its API key.

A bounded number of generated requests per operation: no 5xx, every status documented,
every answer matches its documented schema and media type.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error,
                                 response_schema_conformance, status_code_conformance)

from loyalty_plugin.api.openapi import build_spec
from loyalty_plugin.app import create_app
from tests.conftest import TEST_URL
from tests.factories import make_shop, post_shopify, shopify_order

EXAMPLES_PER_OPERATION = int(os.environ.get("LOYALTY_API_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def operation_ids() -> list[str]:
    # The document depends on the routes only, so an app without a database lists them.
    app = create_app({"LOYALTY_DATABASE_URL": TEST_URL, "LOYALTY_SCHEMA_CHECK": False,
                      "LOYALTY_SECRET_KEY": "test", "LOYALTY_PUBLIC_URL": "https://loyalty.example.test"})
    return [operation["operationId"] for path in build_spec(app)["paths"].values()
            for operation in path.values()]


@pytest.fixture
def seeded_key(client, session):
    shop, key = make_shop(session, referrals_enabled=True)
    session.commit()
    for number in range(3):
        post_shopify(client, shop, "orders/paid", shopify_order(customer_id=881000 + number))
    headers = {"Authorization": f"Bearer {key}"}
    client.post("/api/v1/tiers", headers=headers, json={"name": "Gold", "threshold": "50"})
    client.post("/api/v1/webhook-endpoints", headers=headers,
                json={"url": "https://hooks.example.com/x", "event_types": ["points.earned"]})
    return key


@pytest.mark.parametrize("operation_id", operation_ids())
def test_api_answers_conform_to_the_document(app, seeded_key, operation_id):
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).find_operation_by_id(operation_id)
    headers = {"Authorization": f"Bearer {seeded_key}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
