"""The OpenAPI document covers every admin route, validates, and renders as a page."""
from __future__ import annotations

from openapi_spec_validator import validate

from loyalty_plugin.api.openapi import PREFIX, openapi_path


def test_openapi_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate(response.json)


def test_every_api_route_is_in_the_document(app, client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    missing = [f"{method} {rule.rule}" for rule in app.url_map.iter_rules()
               if rule.rule.startswith(PREFIX)
               for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
               if method.lower() not in paths.get(openapi_path(rule), {})]
    assert not missing, f"declare these routes with @documented(...): {missing}"


def test_every_operation_has_an_example_and_its_errors(client):
    spec = client.get("/api/v1/openapi.json").json
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            success = [r for status, r in operation["responses"].items() if status.startswith("2")]
            assert success and all("example" in c for r in success for c in r["content"].values()
                                   if "json" in next(iter(r["content"]))), (method, path)
            if operation["security"]:
                assert "401" in operation["responses"], (method, path)
            if method != "get":
                assert {"403", "422"} <= operation["responses"].keys(), (method, path)
                assert {"$ref": "#/components/parameters/IdempotencyKey"} in operation["parameters"]
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= operation["responses"].keys(), (method, path)
            if "{" in path:
                assert "404" in operation["responses"], (method, path)


def test_docs_page_lists_every_endpoint_without_external_resources(client):
    spec = client.get("/api/v1/openapi.json").json
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in page
    assert "<script" not in page and "http://" not in page and "//cdn" not in page
