"""Fixtures for ensemble tests: real member processes on 127.0.0.1, always stopped by pid.

``ensembles`` builds ``LocalEnsemble``s (the same code ``zabkeeper ensemble`` runs) in the test's
temp directory with test timings (tickTime 500 ms: syncLimit 2 s, initLimit 5 s); ``clients``
makes kazoo clients that are stopped at teardown. When a test fails, the tail of every member's
log is printed, so a failure explains itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ensemble_support import SESSION_TIMEOUT_S, TICK_TIME_MS
from kazoo.client import KazooClient

from zabkeeper.cli.local_ensemble import LocalEnsemble

LOG_TAIL_LINES = 40


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def ensembles(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., LocalEnsemble]]:
    created: list[LocalEnsemble] = []

    def make(size: int = 3, observers: int = 0, start: bool = True, **settings: object) -> LocalEnsemble:
        merged: dict[str, object] = {"minSessionTimeout": 1000, "maxSessionTimeout": 20000}
        merged.update(settings)
        ensemble = LocalEnsemble(
            tmp_path / f"ensemble{len(created)}",
            size=size,
            observers=observers,
            tick_time=TICK_TIME_MS,
            init_limit=10,
            sync_limit=4,
            settings=merged,
        )
        created.append(ensemble)
        if start:
            ensemble.start_all()
            ensemble.wait_serving(timeout_s=60)
        return ensemble

    try:
        yield make
    finally:
        failed = getattr(request.node, "report_call", None)
        for ensemble in created:
            ensemble.close()
            if failed is not None and failed.failed:
                for member in ensemble.members.values():
                    with contextlib.suppress(OSError):
                        lines = member.log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
                        print(f"--- server {member.sid} log tail ---\n" + "\n".join(lines))


@pytest.fixture
def clients() -> Iterator[Callable[..., KazooClient]]:
    made: list[KazooClient] = []

    def make(hosts: str, **options: Any) -> KazooClient:
        options.setdefault("timeout", SESSION_TIMEOUT_S)
        client = KazooClient(hosts=hosts, **options)
        made.append(client)
        client.start(timeout=30)
        return client

    try:
        yield make
    finally:
        for client in made:
            with contextlib.suppress(Exception):
                client.stop()
                client.close()
