"""Fixtures for the outbound clients' unit tests: a fake platform and recorded back-off waits."""
from __future__ import annotations

import pytest
import responses


@pytest.fixture
def api():
    # Every request a test expects must be made: an unsent one is a missing call.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def sleeps():
    return []
