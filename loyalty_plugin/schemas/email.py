"""Customer email settings and templates, as the admin API takes and shows them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models import EmailKind
from ..services.email_templates import LOCALES
from .booleans import StrictBoolean

_ONE_LINE = validate.Regexp(r"^[^\r\n]*$", error="Must be a single line.")


class EmailSettingsSchema(Schema):
    enabled = StrictBoolean()
    from_address = fields.Email(allow_none=True, validate=validate.Length(max=320))
    from_name = fields.String(allow_none=True, validate=[validate.Length(max=100), _ONE_LINE])
    locale = fields.String(validate=validate.OneOf(LOCALES))
    kinds = fields.List(fields.String(validate=validate.OneOf([kind.value for kind in EmailKind])),
                        validate=validate.Length(max=len(EmailKind)))
    smtp_configured = fields.Boolean(dump_only=True)


class EmailTemplateInputSchema(Schema):
    subject = fields.String(required=True, validate=[validate.Length(min=1, max=200), _ONE_LINE])
    text = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    html = fields.String(allow_none=True, validate=validate.Length(max=100_000))


class EmailTemplateSchema(Schema):
    kind = fields.Enum(EmailKind, by_value=True)
    locale = fields.String()
    subject = fields.String()
    text = fields.String()
    html = fields.String(allow_none=True)
    custom = fields.Boolean()
