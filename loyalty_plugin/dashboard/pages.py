"""Rendering dashboard pages, and every refusal as an HTML page with the right status.

A client that asks for JSON gets the service's one JSON error shape instead.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from ..errors import ErrorCode, LoyaltyError, RateLimited, error_body

TITLES = {400: "Bad request", 401: "Not signed in", 403: "Refused", 404: "Not found",
          405: "Not allowed", 409: "Conflict", 413: "Too large", 422: "Invalid",
          429: "Too many attempts", 502: "The shop platform failed", 503: "Not available"}


def page(template: str, status: int = 200, **context: Any) -> Response:
    response = Response(render_template(f"dashboard/{template}", **context), mimetype="text/html")
    response.status_code = status
    return response


def error_page(status: int, code: str, message: str, details: dict | None = None) -> Response:
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        response = jsonify(error_body(code, message, details))
        response.status_code = status
        return response
    return page("error.html", status, title=TITLES.get(status, "Error"), message=message)


def register_error_pages(bp: Blueprint) -> None:
    @bp.errorhandler(LoyaltyError)
    def _refused(exc: LoyaltyError):
        response = error_page(exc.status, exc.code.value, exc.message, exc.details)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @bp.errorhandler(ValidationError)
    def _invalid(exc: ValidationError):
        return error_page(400, ErrorCode.VALIDATION_FAILED.value, "The request is invalid: "
                          + "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in
                                      (exc.messages if isinstance(exc.messages, dict) else {}).items()))

    @bp.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        return error_page(status, ErrorCode.NOT_FOUND.value if status == 404 else "bad_request",
                          exc.description or exc.name)
