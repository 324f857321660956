"""Fixtures the functional tests share."""
from __future__ import annotations

import pytest

from tests.providers import RecordingProvider


@pytest.fixture
def provider() -> RecordingProvider:
    """A discount provider that records what it is asked; a file's ``app`` fixture plugs it in."""
    return RecordingProvider()
