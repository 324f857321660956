"""Replaying the first answer to a client write sent again with the same Idempotency-Key."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ErrorCode, Unprocessable
from ..models import IdempotencyRecord
from .sql import insert_ignore

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def claim(session: Session, *, shop_id: int, scope: str, key: str, payload: Any,
          now: dt.datetime) -> tuple[IdempotencyRecord, StoredResponse | None]:
    """Reserve ``key`` for this request, or return the answer stored for it.

    A concurrent request with the same key waits on the unique index until the
    first commits, then gets its answer.
    """
    digest = fingerprint(payload)
    insert_ignore(session, IdempotencyRecord, dict(shop_id=shop_id, scope=scope, key=key,
                                                   fingerprint=digest, status_code=0, response={},
                                                   created_at=now),
                  conflict=["shop_id", "scope", "key"])
    record = session.execute(select(IdempotencyRecord).where(
        IdempotencyRecord.shop_id == shop_id, IdempotencyRecord.scope == scope,
        IdempotencyRecord.key == key).with_for_update(key_share=True)
        .execution_options(populate_existing=True)).scalar_one()
    if record.fingerprint != digest:
        raise Unprocessable("This Idempotency-Key was used with different parameters.",
                            code=ErrorCode.IDEMPOTENCY_KEY_REUSED, details={"idempotency_key": key})
    if record.status_code:
        return record, StoredResponse(record.status_code, record.response)
    return record, None


def store(record: IdempotencyRecord, status_code: int, body: dict) -> None:
    record.status_code = status_code
    record.response = body
