"""Getting a reserved code onto the shop's platform, and recording how that went.

Used right after a redemption commits its reservation, and by the job that
settles codes whose request died before it could finish.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import (ErrorCode, ProviderError, ProviderNotConfigured, ProviderRejected,
                      ProviderUnavailable)
from ..models import CodeStatus, CustomerAccount, RewardCode, Shop, utcnow
from ..providers.discounts import DiscountProvider, create_code
from . import codes, ledger, outbox

log = logging.getLogger(__name__)

# Beyond the provider's deadline: the time a request needs to record the outcome.
LEASE_SLACK = dt.timedelta(seconds=30)
# How long a granted code stays PENDING through platform outages before it is marked FAILED.
GRANT_RETRY_PERIOD = dt.timedelta(days=1)


def provider_key(code: RewardCode) -> str:
    # The debit is the redemption: the same debit must never make two codes.
    return f"loyalty-redeem-{code.debit_entry_id}" if code.debit_entry_id else f"loyalty-code-{code.id}"


def issue(session: Session, shop: Shop, account: CustomerAccount, code: RewardCode,
          provider: DiscountProvider, timeout: float, *,
          clock: Callable[[], dt.datetime] = utcnow) -> RewardCode:
    """Create the code on the platform, then record the outcome (flushed, not committed).

    Call it with no transaction open: the provider call may take ``timeout`` seconds.
    """
    spec = codes.discount_spec(shop, account, code)
    try:
        reference = create_code(provider, spec, provider_key(code), timeout)
    except ProviderError as exc:
        log.warning("code not created shop=%s code=%s provider=%s error=%s", shop.id, code.id,
                    provider.name, exc.code.value)
        error: ProviderError = exc
    except Exception:
        log.exception("provider failed shop=%s code=%s provider=%s", shop.id, code.id, provider.name)
        error = ProviderUnavailable(f"The {provider.name} platform failed unexpectedly.")
    else:
        return record_issue(session, code, reference, clock(), provider=provider.name)
    now = clock()
    if _worth_retrying(code, error, now):
        return code  # still PENDING: the codes job tries again
    return record_failure(session, code, error, now)


def _worth_retrying(code: RewardCode, error: ProviderError, now: dt.datetime) -> bool:
    """A code given rather than bought waits out an outage: nobody is waiting for points back."""
    return (code.debit_entry_id is None and isinstance(error, ProviderUnavailable)
            and code.created_at > now - GRANT_RETRY_PERIOD)


def record_issue(session: Session, code: RewardCode, reference: str, now: dt.datetime, *,
                 provider: str | None = None) -> RewardCode:
    """ISSUED with the platform's reference (and who holds it), announced as ``reward.issued``."""
    # Conditional: a code settled meanwhile (used, or failed by a job) keeps that state.
    values: dict = dict(status=CodeStatus.ISSUED, platform_ref=str(reference)[:255], issued_at=now)
    if provider is not None:
        values["provider"] = provider[:32]
    changed = session.execute(update(RewardCode).where(
        RewardCode.id == code.id, RewardCode.status == CodeStatus.PENDING,
    ).values(**values).execution_options(synchronize_session=False)).rowcount
    if changed and code in session:
        # The row was as this session knows it but for these columns: no read needed.
        for name, value in values.items():
            set_committed_value(code, name, value)
    else:
        code = _reload(session, code.id)
    if changed:
        outbox.reward_issued(session, code, now)
    return code


def record_failure(session: Session, code: RewardCode, error: ProviderError,
                   now: dt.datetime) -> RewardCode:
    """FAILED with the reason, and the points back; the account is locked before the code."""
    ledger.lock_account(session, code.account_id)
    changed = session.execute(update(RewardCode).where(
        RewardCode.id == code.id, RewardCode.status == CodeStatus.PENDING,
    ).values(status=CodeStatus.FAILED, failure=f"{error.code.value}: {error.message}"[:2000])
        .execution_options(synchronize_session=False)).rowcount
    code = _reload(session, code.id)
    if changed:
        codes.return_points(session, code, now, reason=f"Code {code.code} could not be created")
        session.flush()
    return code


def _reload(session: Session, code_id: int) -> RewardCode:
    # ``code`` may come from a session that is already closed (the settling job).
    code = session.get(RewardCode, code_id, populate_existing=True)
    assert code is not None
    return code


def failure_of(code: RewardCode) -> ProviderError:
    """The provider error a FAILED code recorded, to answer the client with."""
    kind, _, message = (code.failure or "").partition(": ")
    if kind == ErrorCode.PROVIDER_REJECTED.value:
        return ProviderRejected(message)
    if kind == ErrorCode.PROVIDER_NOT_CONFIGURED.value:
        return ProviderNotConfigured(message)
    return ProviderUnavailable(message or "The platform could not create the code.")


def stale_pending(session: Session, now: dt.datetime, lease: dt.timedelta, limit: int = 100,
                  after_id: int = 0) -> list[RewardCode]:
    """PENDING codes nobody is issuing: a redemption's once its request's lease ran out, a
    granted code (tier entry) at once, since no request ever issues those."""
    return list(session.execute(select(RewardCode).where(
        RewardCode.status == CodeStatus.PENDING, RewardCode.id > after_id,
        or_(RewardCode.created_at < now - lease, RewardCode.debit_entry_id.is_(None)),
    ).order_by(RewardCode.id).limit(limit)).scalars())


def code_lease(timeout: float) -> dt.timedelta:
    """How long a request may hold a pending code: the provider's deadline and some slack."""
    return dt.timedelta(seconds=timeout) + LEASE_SLACK
