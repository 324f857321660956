"""JSON responses encoded by orjson, under Flask's rules for what JSON has no type for.

Every widget read and API answer is JSON; the standard library's encoder took
about 6 % of a widget summary's CPU time. Values come out as Flask's own provider
gives them (Decimal and UUID as strings, datetimes as HTTP dates, dataclasses as
objects), because orjson hands those to Flask's ``default``. Characters outside
ASCII go out as UTF-8 rather than ``\\u`` escapes: the same JSON text.
"""
from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # formatting asked for by name: the standard encoder's own options
            return super().dumps(obj, **kwargs)
        return self._encode(obj).decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)  # indented for a reader
        body = self._encode(self._prepare_response_obj(args, kwargs))
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)

    def _encode(self, obj: Any) -> bytes:
        options = _OPTIONS | orjson.OPT_SORT_KEYS if self.sort_keys else _OPTIONS
        try:
            return orjson.dumps(obj, default=self.default, option=options)
        except orjson.JSONEncodeError:
            # What orjson refuses and the standard encoder takes (an integer beyond 64
            # bits) is encoded by the latter, which raises for what neither can encode.
            return super().dumps(obj, separators=(",", ":")).encode()
