"""The orjson provider answers what Flask's own provider answers."""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import uuid
from decimal import Decimal

import pytest
from flask import Flask
from markupsafe import Markup

from loyalty_plugin.json_responses import OrjsonProvider


class Kind(str, enum.Enum):
    EARN = "earn"


@dataclasses.dataclass
class Point:
    x: int
    label: str


VALUES = {
    "decimal": Decimal("12.50"),
    "aware": dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.timezone.utc),
    "date": dt.date(2026, 11, 25),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "enum": Kind.EARN,
    "dataclass": Point(1, "a"),
    "markup": Markup("<b>bold</b>"),
    "int_keys": {1: "one", 2: "two"},
    "unicode": "Zoë’s café ☕",
    "nested": [1, 2.5, None, True, (3, 4), {"a": [Decimal("1")]}],
    "huge": 10 ** 30,
}


@pytest.fixture()
def providers():
    flask = Flask("standard")
    flask.json.sort_keys = False
    app = Flask("fast")
    app.json = OrjsonProvider(app)
    app.json.sort_keys = False
    return flask, app


@pytest.mark.parametrize("name", sorted(VALUES))
def test_each_value_encodes_as_flask_encodes_it(providers, name):
    flask, app = providers
    body = {"value": VALUES[name]}
    with flask.app_context():
        expected = flask.json.response(body)
    with app.app_context():
        given = app.json.response(body)
    assert json.loads(given.data) == json.loads(expected.data)
    assert given.mimetype == "application/json" and given.data.endswith(b"\n")
    assert json.loads(app.json.dumps(body)) == json.loads(flask.json.dumps(body))


def test_what_neither_encoder_takes_is_a_type_error(providers):
    _, app = providers
    with app.app_context(), pytest.raises(TypeError):
        app.json.response({"value": {1, 2}})


def test_keys_are_sorted_when_the_app_asks(providers):
    _, app = providers
    app.json.sort_keys = True
    with app.app_context():
        assert app.json.response({"b": 1, "a": 2}).data == b'{"a":2,"b":1}\n'


def test_debug_output_stays_indented_for_a_reader(providers):
    flask, app = providers
    app.debug = flask.debug = True
    with flask.app_context():
        expected = flask.json.response({"a": [1]}).data
    with app.app_context():
        assert app.json.response({"a": [1]}).data == expected


def test_the_service_answers_through_it(app):
    assert isinstance(app.json, OrjsonProvider)
