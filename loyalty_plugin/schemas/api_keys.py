"""Admin API keys, as the API takes and shows them: never the key's digest."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models import ApiKeyScope


class ApiKeySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The key's first characters, to tell keys apart."})
    scope = fields.Enum(ApiKeyScope, by_value=True)
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class ApiKeyCreatedSchema(ApiKeySchema):
    key = fields.String(metadata={"description": "The key itself: shown in this answer only."})


class ApiKeyInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scope = fields.Enum(ApiKeyScope, by_value=True, load_default=ApiKeyScope.READ_WRITE)
