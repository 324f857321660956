"""The shapes around the resources: the one error body, and pages of items."""
from __future__ import annotations

from functools import cache

from marshmallow import Schema, fields


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "A stable machine code."})
    message = fields.String(required=True, metadata={"description": "For people; may change."})
    details = fields.Dict(required=True, metadata={"description": "Field messages and ids, when any."})


class ErrorSchema(Schema):
    """Every error of the API, whatever its status."""

    error = fields.Nested(ErrorDetailSchema, required=True)


@cache
def page_of(item: type[Schema]) -> type[Schema]:
    """``{"items": [...], "next_cursor": ...}``: pass ``next_cursor`` back as ``cursor`` for more."""
    name = item.__name__.removesuffix("Schema")
    return type(f"{name}PageSchema", (Schema,), {
        "items": fields.List(fields.Nested(item), required=True),
        "next_cursor": fields.String(required=True, allow_none=True, metadata={
            "description": "The cursor of the next page; null on the last page."}),
    })


@cache
def list_of(item: type[Schema]) -> type[Schema]:
    """``{"items": [...]}`` for the short lists that need no paging."""
    name = item.__name__.removesuffix("Schema")
    return type(f"{name}ListSchema", (Schema,), {
        "items": fields.List(fields.Nested(item), required=True)})
