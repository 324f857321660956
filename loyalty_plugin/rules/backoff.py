"""When a failed delivery is tried again: exponential backoff with jitter.

The delay doubles with every attempt up to a cap; a random part spreads the
retries of many deliveries that failed together (a receiver that was down), so
they do not all come back at the same second.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

BASE_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=6)
# With these, the fifteenth attempt comes 16 to 33 hours after the first: a receiver can be
# down for most of a day before its deliveries go to the dead-letter list.
MAX_ATTEMPTS = 15


def retry_delay(attempts: int, random: Callable[[], float], *, base: dt.timedelta = BASE_DELAY,
                cap: dt.timedelta = MAX_DELAY) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt (1 for the first).

    Between half and all of ``base * 2 ** (attempts - 1)``, never more than ``cap``.
    """
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    ceiling = min(cap, base * 2 ** min(attempts - 1, 32))
    return ceiling / 2 + ceiling / 2 * min(max(random(), 0.0), 1.0)
