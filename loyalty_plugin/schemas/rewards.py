"""Rewards, redemptions and discount codes as the admin API reads and writes them."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

from ..models import CodeOrigin, CodeStatus, RewardKind
from .booleans import StrictBoolean
from .customers import MAX_POINTS, CustomerSchema, PageQuerySchema

MAX_ID = 2**63 - 1
MAX_MONEY = Decimal("1000000000")
SCALE = Decimal("0.0001")


class Money(fields.Decimal):
    """A non-negative amount with at most 4 decimal places, read at the stored scale.

    "64.5" loads as Decimal("64.5000"), as the NUMERIC(18, 4) columns give it back;
    more places are refused rather than rounded away.
    """

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        amount = super()._deserialize(value, attr, data, **kwargs)
        if amount.as_tuple().exponent < -4:  # type: ignore[operator]
            raise ValidationError("At most 4 decimal places.")
        # adjusted() reads the exponent without arithmetic, which would overflow on "1E+999999999".
        if amount.adjusted() > MAX_MONEY.adjusted():
            raise ValidationError(f"Must be at most {MAX_MONEY}.")
        return amount.quantize(SCALE)


def _money(**kwargs) -> Money:
    return Money(validate=validate.Range(min=0, max=MAX_MONEY), **kwargs)


def _enum_value(attribute: str):
    return fields.Function(lambda obj: getattr(obj, attribute).value)


class RewardInputSchema(Schema):
    """A new reward; loaded with ``partial=True`` for a change."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    kind = fields.Enum(RewardKind, by_value=True, required=True)
    points_cost = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(min=1, max=MAX_POINTS))
    value = _money()
    min_points = fields.Integer(strict=True, allow_none=True,
                                validate=validate.Range(min=1, max=MAX_POINTS))
    max_points = fields.Integer(strict=True, allow_none=True,
                                validate=validate.Range(min=1, max=MAX_POINTS))
    product_variant_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    min_order_subtotal = _money()
    validity_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=3650))
    required_tier_id = fields.Integer(strict=True, allow_none=True,
                                      validate=validate.Range(min=1, max=MAX_ID))
    per_customer_limit = fields.Integer(strict=True, allow_none=True,
                                        validate=validate.Range(min=1, max=1_000_000))
    active = StrictBoolean()


class RewardSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    kind = _enum_value("kind")
    points_cost = fields.Integer()
    value = fields.Decimal(as_string=True)
    min_points = fields.Integer(allow_none=True)
    max_points = fields.Integer(allow_none=True)
    product_variant_id = fields.String(allow_none=True)
    min_order_subtotal = fields.Decimal(as_string=True)
    validity_days = fields.Integer()
    required_tier_id = fields.Integer(allow_none=True)
    per_customer_limit = fields.Integer(allow_none=True)
    active = fields.Boolean()
    archived = fields.Function(lambda reward: reward.archived_at is not None)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    archived_at = fields.DateTime(allow_none=True)


class RewardListQuerySchema(Schema):
    include_archived = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=None, allow_none=True)


class RedemptionSchema(Schema):
    reward_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    # Only for variable rewards: how many points to spend.
    points = fields.Integer(strict=True, allow_none=True, load_default=None,
                            validate=validate.Range(min=1, max=MAX_POINTS))


class RewardCodeSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    status = _enum_value("status")
    origin = _enum_value("origin")
    reward_id = fields.Integer()
    kind = _enum_value("kind")
    value = fields.Decimal(as_string=True)
    min_order_subtotal = fields.Decimal(as_string=True)
    product_variant_id = fields.String(allow_none=True)
    points_spent = fields.Integer()
    provider = fields.String()
    platform_ref = fields.String(allow_none=True)
    failure = fields.String(allow_none=True)
    expires_at = fields.DateTime()
    created_at = fields.DateTime()
    issued_at = fields.DateTime(allow_none=True)
    used_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    used_order_id = fields.String(allow_none=True)
    order_revenue = fields.Decimal(as_string=True, allow_none=True)


class CodeQuerySchema(PageQuerySchema):
    status = fields.Enum(CodeStatus, by_value=True, load_default=None)
    origin = fields.Enum(CodeOrigin, by_value=True, load_default=None)
    reward_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    customer_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                                metadata={"description": "The customer's external id."})


class CodeValidateSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=200))
    subtotal = _money(required=True)
    customer_id = fields.String(allow_none=True, load_default=None,
                                validate=validate.Length(min=1, max=64))


class CodeUseSchema(Schema):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    subtotal = _money(required=True)
    customer_id = fields.String(allow_none=True, load_default=None,
                                validate=validate.Length(min=1, max=64))


class NativeDiscountSchema(Schema):
    """What a storefront applies: a variable reward's code is a fixed amount off."""

    code = fields.String()
    type = fields.Function(lambda code: RewardKind.FIXED_AMOUNT.value
                           if code.kind is RewardKind.VARIABLE else code.kind.value)
    value = fields.Decimal(as_string=True)
    min_order_subtotal = fields.Decimal(as_string=True)
    product_variant_id = fields.String(allow_none=True)
    expires_at = fields.DateTime()


class RedemptionResultSchema(Schema):
    code = fields.Nested(RewardCodeSchema, required=True)
    customer = fields.Nested(CustomerSchema, required=True)


class UsedCodeSchema(Schema):
    code = fields.Nested(RewardCodeSchema, required=True)


class CodeValidationSchema(Schema):
    valid = fields.Boolean(required=True)
    reason = fields.String(required=True, allow_none=True,
                           metadata={"description": "Why the code cannot be used; null when valid."})
    discount = fields.Nested(NativeDiscountSchema, required=True, allow_none=True)

