"""A member's disk after a crash: a torn last log record is cut on restart, never half-applied,
and the member catches up with the others; snapshots are written every ~snapCount txns."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ensemble_support import member_hosts
from kazoo.client import KazooClient

from zabkeeper.cli.local_ensemble import LocalEnsemble

pytestmark = pytest.mark.network


def test_a_torn_log_tail_is_cut_and_the_member_catches_up(
    ensembles: Callable[..., LocalEnsemble], clients: Callable[..., KazooClient]
) -> None:
    ensemble = ensembles(snapCount=40)
    leader = ensemble.wait_serving()
    victim = next(sid for sid in ensemble.members if sid != leader)
    writer = clients(member_hosts(ensemble, leader))
    writer.ensure_path("/torn")
    for index in range(100):
        writer.create(f"/torn/n{index}", b"x" * 50)
    ensemble.kill(victim)
    log_dir = ensemble.members[victim].workdir / "data" / "version-2"
    newest = max(log_dir.glob("log.*"), key=lambda path: int(path.name[4:], 16))
    data = newest.read_bytes()
    newest.write_bytes(data[:-7])  # the crash tore the last record
    assert list(log_dir.glob("snapshot.*")), "snapshots are taken every ~snapCount txns"
    for index in range(100, 120):
        writer.create(f"/torn/n{index}", b"y")
    ensemble.start(victim)
    ensemble.wait_serving()
    reader = clients(member_hosts(ensemble, victim))
    reader.sync("/torn")
    assert len(reader.get_children("/torn")) == 120
    log_text = ensemble.members[victim].log_path.read_text()
    assert "torn last record" in log_text, "the cut is reported"
