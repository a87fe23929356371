"""Fixtures for conformance tests: the committed corpus and a small, fast slice of it."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "traces" / "corpus"
REGRESSIONS = REPO / "traces" / "regressions"


@pytest.fixture(scope="session")
def corpus_files() -> list[Path]:
    files = sorted(CORPUS.glob("*.itf.json.gz"))
    assert len(files) >= 300, f"the committed corpus has {len(files)} traces"
    return files


@pytest.fixture(scope="session")
def corpus_slice(corpus_files: list[Path]) -> list[Path]:
    """Every eighth trace: about 40 traces over all instances and seeds."""
    return corpus_files[::8]
