"""The CI swarm: 500 seeds across ensembles of 3, 5 and 7 voters (plus observers), with crashes,
torn writes and partitions, must show no violation of any checker and always recover liveness."""

from __future__ import annotations

import pytest

from zabkeeper.sim.swarm import run_seed

SEEDS = 500
CHUNK = 25


@pytest.mark.parametrize("first", range(0, SEEDS, CHUNK))
def test_swarm_chunk_has_no_violation(first: int) -> None:
    failures = []
    for seed in range(first, first + CHUNK):
        result = run_seed(seed)
        if not result.ok:
            failures.append(f"seed {seed}: {result.violation}: {result.detail} ({result.description})")
    assert not failures, "\n".join(failures)


def test_a_seed_reproduces_exactly() -> None:
    events_a: list[str] = []
    events_b: list[str] = []
    first = run_seed(7, log=lambda t, sid, text: events_a.append(f"{t} {sid} {text}"))
    second = run_seed(7, log=lambda t, sid, text: events_b.append(f"{t} {sid} {text}"))
    assert first == second
    assert events_a == events_b and len(events_a) > 100


def test_swarm_goes_deep() -> None:
    """The swarm is only worth something if it reaches leader changes, commits and syncs."""
    results = [run_seed(seed) for seed in range(20)]
    assert sum(result.leaders for result in results) > 3 * len(results)
    assert all(result.committed > 0 for result in results)
    assert len({result.description.split()[0] for result in results}) == 3  # 3, 5 and 7 voters
