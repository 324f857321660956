"""The OpenAPI document and a readable page made from it, both without an API key."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, render_template

from .contract import documented
from .openapi import build_spec

bp = Blueprint("docs", __name__, template_folder="templates")

EXTENSION = "loyalty.openapi"


def current_spec() -> dict[str, Any]:
    """Built once per app, on first use: the URL map is complete by then."""
    if EXTENSION not in current_app.extensions:
        current_app.extensions[EXTENSION] = build_spec(current_app)
    return current_app.extensions[EXTENSION]


@bp.get("/openapi.json")
@documented("The OpenAPI 3 document of this API", public=True,
            example={"openapi": "3.0.3", "info": {"title": "Loyalty admin API", "version": "1"},
                     "paths": {}})
def openapi_document():
    return current_spec()


@bp.get("/docs")
@documented("This API's documentation as a web page", public=True, media_type="text/html")
def docs_page():
    spec = current_spec()
    return render_template("api_docs.html", spec=spec, schemas=spec["components"]["schemas"],
                           parameter=lambda p: _resolve(spec, p), to_json=_to_json,
                           ref_name=_ref_name, property_type=_property_type)


def _resolve(spec: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    ref = item.get("$ref", "")
    if not ref:
        return item
    _, _, kind, name = ref.split("/")
    return spec["components"][kind][name]


def _ref_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_ref_name(schema.get('items')) or 'values'}"
    return schema.get("type", "any")


def _property_type(prop: dict[str, Any]) -> str:
    shown = _ref_name(prop.get("allOf", [prop])[0] if "allOf" in prop else prop)
    if prop.get("format"):
        shown += f" ({prop['format']})"
    if prop.get("enum"):
        shown += ": " + " | ".join(str(v) for v in prop["enum"] if v is not None)
    return shown + (", nullable" if prop.get("nullable") else "")


def _to_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
