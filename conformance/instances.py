"""What the replayer must know about a spec instance that its traces do not record.

A trace carries the spec's variables, not its constants. The ones that shape the core's
behaviour (how many committed txns a snapshot leaves for DIFF, the NEWLEADER order) are listed
here per instance module, next to the peer options the driver gives every core ``Peer``: limits
so long that no timer fires unless the driver ticks it on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from zabkeeper.core.options import PeerOptions
from zabkeeper.core.quorum import MajorityQuorum

FIXED_NEWLEADER_ORDER = ("NL_LOG_TXNS", "NL_WRITE_EPOCH", "NL_SEND_ACK")

# Whether the core's leader counts an ACK for every earlier in-flight proposal the learner had not
# acked (the spec's CUMULATIVE_ACKS; every instance module sets the same value).
CUMULATIVE_ACKS = True


@dataclass(frozen=True)
class Instance:
    """The constants of one spec instance module that the core must share."""

    name: str
    committed_log_max: int = 1
    newleader_order: tuple[str, ...] = FIXED_NEWLEADER_ORDER

    def peer_options(self, sid: int, voters: frozenset[int], observers: frozenset[int]) -> PeerOptions:
        return PeerOptions(
            myid=sid,
            quorum=MajorityQuorum(voters),
            observers=observers,
            init_limit_ticks=1000,
            sync_limit_ticks=500,
            ping_interval_ticks=1,
            finalize_wait_ticks=2,
            notification_interval_max_ticks=64,
            connect_retry_ticks=2,
            committed_log_max=self.committed_log_max,
        )


INSTANCES: dict[str, Instance] = {
    name: Instance(name) for name in ("zab3", "zab5", "zab3obs", "zab_test", "validate_run")
}


def instance_named(name: str) -> Instance:
    """The instance of a trace; traces of unknown modules get the defaults of zab3."""
    return INSTANCES.get(name, Instance(name or "zab3"))
