"""A boolean field that takes JSON ``true`` and ``false`` only."""
from __future__ import annotations

from marshmallow import fields


class StrictBoolean(fields.Boolean):
    """JSON true or false only: 1 and "yes" are not booleans (and 1 == True in a set)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
