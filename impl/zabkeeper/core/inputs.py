"""Everything a ``Peer`` can be told. The core learns about the world only through these.

Time arrives as ``Tick``s (every timeout is a number of ticks, as zoo.cfg counts initLimit and
syncLimit); bytes arrive already decoded as ``Receive``d messages; the transport reports a broken
quorum connection as ``Disconnected``; the server hands in client work as ``Propose``,
``ForwardRequest`` and ``ClientSync``; the state machine reports snapshots as ``SnapshotTaken``.
"""

from __future__ import annotations

from dataclasses import dataclass

from zabkeeper.core.messages import Message


@dataclass(frozen=True, slots=True)
class Receive:
    """A message from server ``src`` arrived (the transport keeps each channel FIFO)."""

    src: int
    message: Message


@dataclass(frozen=True, slots=True)
class Tick:
    """One tick of the peer's clock passed."""


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The quorum connection with server ``sid`` broke; messages in flight on it are lost.

    The transport reports it before it delivers anything from a new connection with ``sid``.
    """

    sid: int


@dataclass(frozen=True, slots=True)
class Propose:
    """Propose a txn (leader only, in BROADCAST); ``data`` is the prepared txn."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ForwardRequest:
    """A client write arrived at this server: a learner forwards it to the leader (REQUEST); the
    leader hands it to its own shell for preparation, exactly as a forwarded one."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class ClientSync:
    """A client's ``sync``: report ``token`` in ``Ready.synced`` once every txn the leader had
    proposed when it saw the sync has been committed here."""

    token: int


@dataclass(frozen=True, slots=True)
class SnapshotTaken:
    """The state machine saved a durable snapshot at ``zxid``; the core may forget older txns
    (it keeps a window of committed txns for DIFF syncs)."""

    zxid: int


Input = Receive | Tick | Disconnected | Propose | ForwardRequest | ClientSync | SnapshotTaken
