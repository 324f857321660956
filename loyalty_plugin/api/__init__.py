"""The admin JSON API under ``/api/v1``: load schema, call a service, dump schema."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import customers  # noqa: E402,F401  (routes attach to ``bp``)
