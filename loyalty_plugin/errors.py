"""One error hierarchy and one JSON error shape for every endpoint.

Every error leaves the service as::

    {"error": {"code": "insufficient_points", "message": "...", "details": {...}}}
"""
from __future__ import annotations

import enum
import logging
from typing import Any

from flask import Flask, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ErrorCode(str, enum.Enum):
    BAD_REQUEST = "bad_request"
    INVALID_JSON = "invalid_json"
    VALIDATION_FAILED = "validation_failed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    INVALID_SIGNATURE = "invalid_signature"
    NOT_FOUND = "not_found"
    SHOP_NOT_FOUND = "shop_not_found"
    CUSTOMER_NOT_FOUND = "customer_not_found"
    TIER_NOT_FOUND = "tier_not_found"
    API_KEY_NOT_FOUND = "api_key_not_found"
    DELIVERY_NOT_FOUND = "delivery_not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    LAST_WRITE_KEY = "last_write_key"
    INSUFFICIENT_POINTS = "insufficient_points"
    RATE_LIMITED = "rate_limited"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    PROVIDER_REJECTED = "provider_rejected"
    PROVIDER_NOT_CONFIGURED = "provider_not_configured"
    REFERRALS_DISABLED = "referrals_disabled"
    UNKNOWN_REFERRAL_CODE = "unknown_referral_code"
    REFERRAL_NOT_FOUND = "referral_not_found"
    FRIEND_ALREADY_REFERRED = "friend_already_referred"
    SELF_REFERRAL = "self_referral"
    FRIEND_NOT_NEW = "friend_not_new"
    REFERRAL_LIMIT_REACHED = "referral_limit_reached"
    REFERRAL_CLOSED = "referral_closed"
    REWARD_NOT_FOUND = "reward_not_found"
    REWARD_INACTIVE = "reward_inactive"
    REWARD_ARCHIVED = "reward_archived"
    INVALID_POINTS_AMOUNT = "invalid_points_amount"
    POINTS_BELOW_MINIMUM = "points_below_minimum"
    TIER_REQUIRED = "tier_required"
    REDEMPTION_LIMIT_REACHED = "redemption_limit_reached"
    REDEMPTION_IN_PROGRESS = "redemption_in_progress"
    CODE_NOT_FOUND = "code_not_found"
    CODE_NOT_USABLE = "code_not_usable"
    CODE_ALREADY_USED = "code_already_used"
    CODE_NOT_CANCELLABLE = "code_not_cancellable"
    INTERNAL_ERROR = "internal_error"


class LoyaltyError(Exception):
    """Base of every error the service reports to a client on purpose."""

    status = 400
    code = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, *, code: ErrorCode | None = None,
                 details: dict[str, Any] | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}


class BadRequest(LoyaltyError):
    status = 400
    code = ErrorCode.BAD_REQUEST


class Unauthorized(LoyaltyError):
    status = 401
    code = ErrorCode.UNAUTHORIZED


class Forbidden(LoyaltyError):
    status = 403
    code = ErrorCode.FORBIDDEN


class NotFound(LoyaltyError):
    status = 404
    code = ErrorCode.NOT_FOUND


class Conflict(LoyaltyError):
    status = 409
    code = ErrorCode.CONFLICT


class UnsupportedMediaType(LoyaltyError):
    status = 415
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


class Unprocessable(LoyaltyError):
    status = 422
    code = ErrorCode.VALIDATION_FAILED


class InsufficientPoints(LoyaltyError):
    status = 422
    code = ErrorCode.INSUFFICIENT_POINTS


class RateLimited(LoyaltyError):
    """Too many requests from one subject; ``retry_after`` seconds until the window turns."""

    status = 429
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, details={"retry_after": retry_after}, **kwargs)
        self.retry_after = retry_after


class ProviderError(LoyaltyError):
    """A shop platform's API (or Stripe's) failed us; messages never carry credentials."""

    status = 502
    code = ErrorCode.PROVIDER_REJECTED


class ProviderUnavailable(ProviderError):
    """Timeouts, connection errors, 429 and 5xx after retries: trying again later may work."""

    status = 503
    code = ErrorCode.PROVIDER_UNAVAILABLE


class ProviderRejected(ProviderError):
    """The platform refused the request (4xx other than 429): retrying the same will not help."""

    status = 502
    code = ErrorCode.PROVIDER_REJECTED


class ProviderNotConfigured(ProviderError):
    """The shop has no usable API credentials; 503 so a platform retries once they are set."""

    status = 503
    code = ErrorCode.PROVIDER_NOT_CONFIGURED


_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


def error_body(code: ErrorCode | str, message: str, details: dict[str, Any] | None = None) -> dict:
    return {"error": {"code": str(getattr(code, "value", code)), "message": message,
                      "details": details or {}}}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(LoyaltyError)
    def _loyalty_error(exc: LoyaltyError):
        response = jsonify(error_body(exc.code, exc.message, exc.details))
        response.status_code = exc.status
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return jsonify(error_body(ErrorCode.VALIDATION_FAILED, "The request body is invalid.",
                                  {"fields": messages})), 422

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        code = _HTTP_CODES.get(status, ErrorCode.BAD_REQUEST if status < 500 else ErrorCode.INTERNAL_ERROR)
        if status == 413:
            message = f"The request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes."
        else:
            message = exc.description or exc.name
        response = jsonify(error_body(code, message))
        response.status_code = status
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return jsonify(error_body(ErrorCode.INTERNAL_ERROR, "An unexpected error occurred.")), 500
