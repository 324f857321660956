"""Checking and consuming native codes for a custom storefront.

Codes held by a platform (Shopify, WooCommerce, ...) are checked and consumed
by that platform's checkout; to these calls they do not exist.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from ..errors import Conflict, ErrorCode, NotFound, Unprocessable
from ..models import CodeStatus, CustomerAccount, RewardCode
from ..providers.native import NATIVE
from ..rules.codes import CodeProblem, code_problem
from . import codes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Validation:
    code: RewardCode | None  # None when the code is unknown to the storefront
    problem: CodeProblem | None

    @property
    def valid(self) -> bool:
        return self.problem is None


def _native(session: Session, shop_id: int, text: str, *, lock: bool = False) -> RewardCode | None:
    code = codes.find_code(session, shop_id, text, lock=lock)
    return code if code is not None and code.provider == NATIVE else None


def _problem(session: Session, code: RewardCode, *, subtotal: Decimal | None,
             customer: str | None, now: dt.datetime) -> CodeProblem | None:
    owner = session.get(CustomerAccount, code.account_id)
    return code_problem(status=code.status.value, expires_at=code.expires_at, now=now,
                        min_order_subtotal=code.min_order_subtotal, subtotal=subtotal,
                        owner=owner.platform_customer_id if owner else None, customer=customer)


def validate_code(session: Session, shop_id: int, text: str, *, subtotal: Decimal,
                  customer: str | None, now: dt.datetime) -> Validation:
    code = _native(session, shop_id, text)
    if code is None:
        return Validation(None, CodeProblem.UNKNOWN)
    problem = _problem(session, code, subtotal=subtotal, customer=customer, now=now)
    return Validation(None if problem is CodeProblem.UNKNOWN else code, problem)


def use_code(session: Session, shop_id: int, text: str, *, order_id: str, subtotal: Decimal,
             customer: str | None, now: dt.datetime) -> RewardCode:
    """Consume the code for ``order_id``; the same order again is a no-op, another a 409."""
    code = _native(session, shop_id, text, lock=True)
    if code is not None and code.status is CodeStatus.USED:
        if code.used_order_id == order_id:
            return code
        raise Conflict("This code has already been used on another order.",
                       code=ErrorCode.CODE_ALREADY_USED)
    problem = _problem(session, code, subtotal=subtotal, customer=customer, now=now) if code else None
    if code is None or problem is CodeProblem.UNKNOWN:
        raise NotFound(f"No discount code {text[:64]!r} in this shop.", code=ErrorCode.CODE_NOT_FOUND)
    if problem is not None:
        raise Unprocessable(f"This code cannot be used: {problem.value.replace('_', ' ')}.",
                            code=ErrorCode.CODE_NOT_USABLE, details={"reason": problem.value})
    code.status = CodeStatus.USED
    code.used_at = now
    code.used_order_id = order_id
    code.order_revenue = subtotal
    session.flush()
    log.info("native code used shop=%s code=%s order=%s", shop_id, code.id, order_id)
    return code
