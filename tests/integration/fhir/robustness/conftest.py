"""The app in process on both dialects, for bad-input tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from robustness_app import RunningApp, running


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[RunningApp]:
    async with running(database_url) as running_app:
        yield running_app
