"""Cancelling a code, for every entry point that cancels: the code is checked and the
transaction committed, the platform revokes it with nothing held, and only then are the
code marked cancelled and its points returned. A repeat finds it cancelled and changes
nothing."""
from __future__ import annotations

from flask import current_app

from ..db import get_session
from ..models import CodeStatus, CustomerAccount, RewardCode, Shop, utcnow
from ..providers.discounts import discount_provider, revoke_code
from ..services import codes, issuing


def cancel(shop: Shop, code: str) -> tuple[RewardCode, CustomerAccount]:
    """Leaves the last step uncommitted, for the caller to commit with its own record."""
    session = get_session()
    timeout = float(current_app.config["LOYALTY_PROVIDER_TIMEOUT"])
    target = codes.check_cancellable(session, shop.id, code, utcnow(), issuing.code_lease(timeout))
    # After the code is found: an unknown code is a 404 whatever the platform.
    provider = discount_provider(shop)
    account = session.get(CustomerAccount, target.account_id)
    assert account is not None
    if target.status is not CodeStatus.CANCELLED:
        spec = codes.discount_spec(shop, account, target)
        session.commit()  # nothing held while the platform is called
        # A failure here raises (502/503) before anything changed.
        revoke_code(provider, target.platform_ref, spec, timeout)
        target = codes.cancel_code(session, target, utcnow())
    return target, account
