"""One ensemble member as a ``server.N`` line declares it, and the value syntax of that line.

``server.N=host:quorumPort:electionPort[:participant|observer][;[clientAddress:]clientPort]``,
as ZooKeeper's ``QuorumPeer.QuorumServer`` reads it: the host may be an IPv6 literal in
brackets; the role defaults to participant; a client part without a host listens on 0.0.0.0.
ZooKeeper 3.6's ``|``-separated multiple addresses are refused with a clear message: this
server binds one quorum and one election address per member.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from zabkeeper.config.errors import ValueProblem

PORT_MAX = 65535
SID_MAX = (1 << 63) - 1  # ZooKeeper's sids are Java longs; -1 means "unset" there.
WILDCARD_HOST = "0.0.0.0"

_NUMBER = re.compile(r"[+-]?[0-9]+")
_SERVER_FORM = "host:quorumPort:electionPort[:participant|observer][;[clientAddress:]clientPort]"


class LearnerType(enum.Enum):
    """ZooKeeper's LearnerType: whether a member votes. The value is ZooKeeper's spelling."""

    PARTICIPANT = "participant"
    OBSERVER = "observer"


@dataclass(frozen=True)
class Address:
    """A host and a port, spelled as ZooKeeper spells it (IPv6 hosts in brackets)."""

    host: str
    port: int

    def __post_init__(self) -> None:
        assert self.host, "an address needs a host"
        assert 0 <= self.port <= PORT_MAX, self.port

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class QuorumServer:
    """One member of the ensemble: where its peers reach it, and whether it votes."""

    sid: int
    quorum_address: Address
    election_address: Address
    learner_type: LearnerType
    client_address: Address | None

    def __post_init__(self) -> None:
        assert 0 <= self.sid <= SID_MAX, self.sid

    def __str__(self) -> str:
        """The value of this member's ``server.N`` line, as ZooKeeper's ``conf`` prints it."""
        text = f"{self.quorum_address}:{self.election_address.port}:{self.learner_type.value}"
        if self.client_address is not None:
            text += f";{self.client_address}"
        return text


def parse_number(text: str, what: str, low: int, high: int) -> int:
    """A decimal integer (``Long.parseLong`` syntax) within [low, high], or a ValueProblem."""
    if not _NUMBER.fullmatch(text):
        raise ValueProblem(f"{what} '{text}' is not a number")
    number = int(text)
    if not low <= number <= high:
        raise ValueProblem(f"{what} {number} is out of range {low}..{high}")
    return number


def parse_sid(text: str, what: str = "server id") -> int:
    return parse_number(text, what, 0, SID_MAX)


def parse_learner_type(text: str) -> LearnerType:
    lowered = text.lower()
    for learner_type in LearnerType:
        if learner_type.value == lowered:
            return learner_type
    raise ValueProblem(f"role '{text}' is not participant or observer")


def parse_server_value(sid: int, value: str) -> QuorumServer:
    """The member a ``server.N`` line's value declares."""
    if "|" in value:
        raise ValueProblem("multiple addresses separated by '|' are not supported")
    parts = value.split(";")
    if len(parts) > 2:
        raise ValueProblem(f"'{value}' does not have the form {_SERVER_FORM}")
    server_parts = _split_host(parts[0])
    if not 3 <= len(server_parts) <= 4:
        raise ValueProblem(f"'{value}' does not have the form {_SERVER_FORM}")
    host = _host(server_parts[0], "quorum host")
    quorum_port = parse_number(server_parts[1], "quorum port", 1, PORT_MAX)
    election_port = parse_number(server_parts[2], "election port", 1, PORT_MAX)
    learner_type = LearnerType.PARTICIPANT
    if len(server_parts) == 4:
        learner_type = parse_learner_type(server_parts[3])
    client_address = _client_address(parts[1]) if len(parts) == 2 else None
    _check_distinct_ports(quorum_port, election_port, client_address)
    return QuorumServer(
        sid=sid,
        quorum_address=Address(host, quorum_port),
        election_address=Address(host, election_port),
        learner_type=learner_type,
        client_address=client_address,
    )


def _client_address(text: str) -> Address:
    client_parts = _split_host(text)
    if len(client_parts) == 1:
        return Address(WILDCARD_HOST, parse_number(client_parts[0], "client port", 1, PORT_MAX))
    if len(client_parts) == 2:
        host = _host(client_parts[0], "client host")
        return Address(host, parse_number(client_parts[1], "client port", 1, PORT_MAX))
    raise ValueProblem(f"client part '{text}' is not clientPort or clientAddress:clientPort")


def _check_distinct_ports(quorum_port: int, election_port: int, client: Address | None) -> None:
    if quorum_port == election_port:
        raise ValueProblem(f"quorum port and election port are both {quorum_port}")
    if client is not None and client.port in (quorum_port, election_port):
        raise ValueProblem(f"client port {client.port} is also a quorum or election port")


def _host(text: str, what: str) -> str:
    host = text.strip()
    if not host:
        raise ValueProblem(f"{what} is empty")
    return host


def _split_host(text: str) -> list[str]:
    """Split on ':' but keep a leading ``[IPv6]`` literal whole (without its brackets)."""
    text = text.strip()
    if text.startswith("["):
        end = text.find("]:")
        if end < 0:
            raise ValueProblem(f"'{text}' starts with '[' but has no matching ']:'")
        return [text[1:end], *text[end + 2 :].split(":")]
    return text.split(":")
