"""The storefront widget's settings, as the admin API reads and changes them."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from ..models import LauncherPosition
from ..models.widget import WIDGET_LOCALES
from ..rules.web import MAX_URL_LENGTH, check_link, normalise_origin

MAX_ORIGINS = 20


class Origin(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return normalise_origin(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Link(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return check_link(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Color(fields.String):
    """``#rrggbb``, stored lower-case."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        validate.Regexp(r"^#[0-9a-f]{6}$", error="Must be a colour like #3b5bdb.")(text)
        return text


class WidgetSettingsSchema(Schema):
    primary_color = Color()
    launcher_position = fields.Enum(LauncherPosition, by_value=True)
    launcher_text = fields.String(allow_none=True, validate=validate.Length(min=1, max=40))
    locale = fields.String(allow_none=True, validate=validate.OneOf(WIDGET_LOCALES))
    storefront_origins = fields.List(Origin(), validate=validate.Length(max=MAX_ORIGINS))
    sign_in_url = Link(allow_none=True, validate=validate.Length(max=MAX_URL_LENGTH))
    sign_up_url = Link(allow_none=True, validate=validate.Length(max=MAX_URL_LENGTH))
    updated_at = fields.DateTime(dump_only=True, allow_none=True)
