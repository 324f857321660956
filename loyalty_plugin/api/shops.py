"""The shop an API key belongs to."""
from __future__ import annotations

from ..db import get_session
from ..errors import ErrorCode, NotFound
from ..models import Shop
from ..services.shops import get_shop


def current_shop(shop_id: int) -> Shop:
    shop = get_shop(get_session(), shop_id)
    if shop is None:  # the key outlived its shop
        raise NotFound("This shop no longer exists.", code=ErrorCode.SHOP_NOT_FOUND)
    return shop
