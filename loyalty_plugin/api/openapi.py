"""The OpenAPI 3 document of the admin API, built from the routes' contracts and schemas."""
from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields
from werkzeug.routing import Rule

from ..errors import ErrorCode, error_body
from ..schemas.envelopes import ErrorSchema
from ..schemas.tiers import Amount
from ..services.idempotency import MAX_KEY_LENGTH
from .contract import Contract, contract_of

PREFIX = "/api/v1"
_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")

ERRORS: dict[int, tuple[str, ErrorCode, str]] = {
    400: ("The body is not JSON, or the Idempotency-Key header is empty or too long.",
          ErrorCode.INVALID_JSON, "The body is not valid JSON: Expecting value"),
    401: ("No API key, or an unknown or revoked one.", ErrorCode.UNAUTHORIZED,
          "The API key is not valid or has been revoked."),
    403: ("The API key is read-only.", ErrorCode.UNAUTHORIZED, "This API key is read-only."),
    404: ("Nothing with this id in the key's shop.", ErrorCode.NOT_FOUND, "No such object in this shop."),
    409: ("The request conflicts with the object's current state.", ErrorCode.CONFLICT,
          "This conflicts with the current state."),
    413: ("The body is larger than the service accepts.", ErrorCode.PAYLOAD_TOO_LARGE,
          "The request body is larger than 1048576 bytes."),
    415: ("The body is not sent as application/json.", ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Send the request body as application/json."),
    422: ("A field is invalid (details.fields names each), a rule refused the request, or the "
          "Idempotency-Key was used before with other parameters.", ErrorCode.VALIDATION_FAILED,
          "The request body is invalid."),
    502: ("The shop's platform refused a call this request needed.", ErrorCode.PROVIDER_REJECTED,
          "Shopify refused the request."),
    503: ("The shop's platform is unreachable or not configured; try again later.",
          ErrorCode.PROVIDER_UNAVAILABLE, "Shopify did not answer in time."),
}


def _schema_name(schema: type[Schema] | Schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    return name + "Patch" if not isinstance(schema, type) and schema.partial else name


def _decimals(self: Any, field: fields.Field, ret: dict) -> dict:
    """Decimals shown as strings ("1.25") are strings in the document; bounds are JSON numbers."""
    if not isinstance(field, fields.Decimal):
        return {}
    if (getattr(field, "as_string", False) or isinstance(field, Amount)) and not field.load_only:
        return {"type": "string", "format": "decimal", "minimum": None, "maximum": None}
    return {bound: _number(ret[bound]) for bound in ("minimum", "maximum") if bound in ret}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def build_spec(app: Flask) -> dict[str, Any]:
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(title="Loyalty admin API", version="1", openapi_version="3.0.3",
                   plugins=[plugin], info={"description": (
                       "Send the shop's API key as `Authorization: Bearer <key>`. Every error has "
                       "one shape, `{\"error\": {\"code\", \"message\", \"details\"}}`. Writes accept "
                       "an `Idempotency-Key` header: a repeat with the same key replays the answer.")})
    plugin.converter.add_attribute_function(_decimals)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.parameter("IdempotencyKey", "header", {
        "name": "Idempotency-Key", "required": False,
        "description": "Makes a write safe to retry: a repeat returns the first answer.",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
                   "pattern": r"^\S(.*\S)?$"}})
    paths: dict[str, dict[str, dict]] = defaultdict(dict)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        contract = contract_of(app.view_functions[rule.endpoint])
        if not rule.rule.startswith(PREFIX) or contract is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths[openapi_path(rule)][method.lower()] = _operation(rule, method, contract)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return _without_nulls(spec.to_dict())


def openapi_path(rule: Rule) -> str:
    return _ARGUMENT.sub(lambda m: "{" + m["name"] + "}", rule.rule)


def _operation(rule: Rule, method: str, contract: Contract) -> dict[str, Any]:
    write = method != "GET"
    parameters = [_path_parameter(m["name"], m["converter"]) for m in _ARGUMENT.finditer(rule.rule)]
    if contract.query is not None:
        parameters.append({"in": "query", "schema": contract.query})
    parameters.extend(contract.params)
    if write:
        parameters.append("IdempotencyKey")
    operation: dict[str, Any] = {
        "operationId": rule.endpoint.replace(".", "_"), "summary": contract.summary,
        "tags": [rule.rule[len(PREFIX):].split("/")[1]], "parameters": parameters,
        "responses": _responses(rule, write, contract), **contract.extra}
    if contract.description:
        operation["description"] = contract.description
    if contract.public:
        operation["security"] = []
    else:
        operation["security"] = [{"bearer": []}]
    if contract.body is not None:
        operation["requestBody"] = {"required": contract.body_required, "content": {
            "application/json": {"schema": contract.body, "example": contract.body_example or {}}}}
    return operation


def _path_parameter(name: str, converter: str | None) -> dict[str, Any]:
    schema = ({"type": "integer", "minimum": 1, "maximum": 2 ** 63 - 1} if converter == "int"
              else {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[^/]+$"})
    return {"in": "path", "name": name, "required": True, "schema": schema}


def _responses(rule: Rule, write: bool, contract: Contract) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": contract.response} if contract.response else {}
    if contract.example is not None:
        content["example"] = contract.example
    success = {"description": contract.description or contract.summary,
               "content": {contract.media_type: content}}
    responses: dict[str, Any] = {str(status): success for status in (contract.status, *contract.also)}
    for status in sorted(_error_statuses(rule, write, contract)):
        description, code, message = ERRORS[status]
        responses[str(status)] = {"description": description, "content": {"application/json": {
            "schema": ErrorSchema, "example": error_body(code, message)}}}
    return responses


def _error_statuses(rule: Rule, write: bool, contract: Contract) -> set[int]:
    statuses = set(contract.errors)
    if not contract.public:
        statuses.add(401)
    if write:
        statuses |= {400, 403, 422}
    if rule.arguments:
        statuses.add(404)
    if contract.body is not None:
        statuses |= {400, 413, 415, 422}
    if contract.query is not None:
        statuses.add(422)
    return statuses


def _without_nulls(schema: Any) -> Any:
    """Drop the bounds ``_decimals`` cleared (None), keeping null examples of nullable fields."""
    if isinstance(schema, dict):
        return {k: _without_nulls(v) for k, v in schema.items()
                if not (v is None and k in ("minimum", "maximum"))}
    if isinstance(schema, list):
        return [_without_nulls(item) for item in schema]
    return schema
