"""One-time form tokens: a form sent twice (a double click, a reload) acts once.

Each rendered form carries a random token. Adjusting points uses it as the ledger
key; forms that create a row claim it as an idempotency record, whose stored answer
tells the second submit what the first one made.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy.orm import Session

from ..models import IdempotencyRecord
from ..services import idempotency

FORM_TOKEN = re.compile(r"^[0-9a-f]{32}$")
INCOMPLETE = "The form was incomplete; check it and send it again."


def new_form_token() -> str:
    return secrets.token_hex(16)


def is_form_token(text: str) -> bool:
    return FORM_TOKEN.match(text) is not None


def claim_form(session: Session, shop_id: int, scope: str, token: str,
               now: dt.datetime) -> tuple[IdempotencyRecord, idempotency.StoredResponse | None]:
    """Reserve ``token`` for one creation, or return what the first submit stored.

    The fields are left out of the fingerprint: the token stands for one rendered
    form, so a resubmit after an edit in another tab is still the same form.
    """
    return idempotency.claim(session, shop_id=shop_id, scope=f"dashboard.{scope}", key=token,
                             payload={}, now=now)
