"""Fixtures for the zabkeeper.tree tests (helpers live in tree_harness.py)."""

from __future__ import annotations

import pytest
from tree_harness import TreeHarness


@pytest.fixture
def harness() -> TreeHarness:
    return TreeHarness()
