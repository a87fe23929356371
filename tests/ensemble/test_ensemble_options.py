"""zoo.cfg timings become core ticks finer than tickTime (quorum_options)."""

from __future__ import annotations

import pytest

from zabkeeper.config import parse_server_config
from zabkeeper.server.quorum_options import peer_options
from zabkeeper.server.standalone import StartupError

SERVERS = "".join(f"server.{sid}=127.0.0.1:{2000 + sid}:{3000 + sid};{4000 + sid}\n" for sid in (1, 2, 3))


def config(extra: str = "", tick_time: int = 2000, init_limit: int = 10, sync_limit: int = 5):  # type: ignore[no-untyped-def]
    text = f"tickTime={tick_time}\ninitLimit={init_limit}\nsyncLimit={sync_limit}\ndataDir=/tmp/x\n{extra}{SERVERS}"
    return parse_server_config(text, "zoo.cfg", myid=2)


def test_zookeeper_defaults_become_50_ms_ticks() -> None:
    options, tick_ms = peer_options(config())
    assert tick_ms == 50
    assert options.init_limit_ticks == 400 and options.sync_limit_ticks == 200  # 20 s and 10 s
    assert options.finalize_wait_ticks == 4 and options.ping_interval_ticks == 20
    assert options.notification_interval_max_ticks == 1200
    assert options.myid == 2 and options.voters == frozenset({1, 2, 3})
    assert options.committed_log_max == 500


def test_short_tick_times_stay_valid() -> None:
    options, tick_ms = peer_options(config(tick_time=5, init_limit=1, sync_limit=1))
    assert tick_ms == 10
    assert 0 < options.ping_interval_ticks < options.sync_limit_ticks


def test_commit_log_count_is_read_and_checked() -> None:
    options, _ = peer_options(config("commitLogCount=12\n"))
    assert options.committed_log_max == 12
    with pytest.raises(StartupError, match="commitLogCount"):
        peer_options(config("commitLogCount=none\n"))
