"""The text of the ``conf`` four-letter word: the running server's configuration.

Same keys, order and spelling as ZooKeeper 3.8 (ZooKeeperServer.dumpConf, extended by
QuorumZooKeeperServer.dumpConf when replicated), so tools that scrape ``conf`` keep working.
Values that only the running server knows (bound ports, directory sizes, the directories the
storage layer really uses) are arguments; ZooKeeper prints -1 for a port it does not serve.
"""

from __future__ import annotations

from dataclasses import dataclass

from zabkeeper.config.server_config import ServerConfig
from zabkeeper.config.servers import LearnerType

_PEER_TYPE_ORDINAL = {LearnerType.PARTICIPANT: 0, LearnerType.OBSERVER: 1}


@dataclass(frozen=True)
class ConfRuntime:
    """What the running server knows and zoo.cfg does not."""

    client_port: int = -1
    secure_client_port: int = -1
    snap_dir: str = ""
    snap_dir_size: int = 0
    log_dir: str = ""
    log_dir_size: int = 0


def render_conf(config: ServerConfig, runtime: ConfRuntime) -> str:
    """The ``conf`` response, ending with a newline except after the membership's version line."""
    pairs: list[tuple[str, object]] = [
        ("clientPort", runtime.client_port),
        ("secureClientPort", runtime.secure_client_port),
        ("dataDir", runtime.snap_dir or config.data_dir),
        ("dataDirSize", runtime.snap_dir_size),
        ("dataLogDir", runtime.log_dir or config.data_log_dir),
        ("dataLogSize", runtime.log_dir_size),
        ("tickTime", config.tick_time),
        ("maxClientCnxns", config.max_client_cnxns),
        ("minSessionTimeout", config.min_session_timeout),
        ("maxSessionTimeout", config.max_session_timeout),
        ("clientPortListenBacklog", config.client_port_listen_backlog),
        ("serverId", config.myid if config.is_distributed and config.myid is not None else 0),
    ]
    own = config.own_server
    if own is None:
        return "".join(f"{key}={value}\n" for key, value in pairs)
    pairs += [
        ("initLimit", config.init_limit),
        ("syncLimit", config.sync_limit),
        ("electionAlg", config.election_alg),
        ("electionPort", own.election_address.port),
        ("quorumPort", own.quorum_address.port),
        ("peerType", _PEER_TYPE_ORDINAL[config.peer_type]),
    ]
    head = "".join(f"{key}={value}\n" for key, value in pairs)
    return head + "membership: \n" + "\n".join(config.ensemble.membership_lines())
