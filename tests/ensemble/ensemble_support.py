"""Constants and helpers the ensemble tests share (kept out of conftest.py so test modules can
import them by a name no other test folder uses)."""

from __future__ import annotations

from zabkeeper.cli.local_ensemble import LocalEnsemble

TICK_TIME_MS = 500
SESSION_TIMEOUT_S = 10.0


def member_hosts(ensemble: LocalEnsemble, sid: int) -> str:
    return f"127.0.0.1:{ensemble.members[sid].client_port}"
