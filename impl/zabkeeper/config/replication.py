"""Whether a configuration runs standalone or replicated, and what replication then requires.

ZooKeeper's rules (QuorumPeerConfig.parseDynamicConfig, checkValidity, setupClientPort,
setupPeerType): no participants, or one participant while ``standaloneEnabled``, means
standalone, and observers then have no one to follow; a replicated server needs initLimit,
syncLimit and a ``myid`` that names one of the listed servers; the client port in zoo.cfg must
agree with the one in the server's own ``server.N`` line; the server list decides the role.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from zabkeeper.config.errors import ConfigError
from zabkeeper.config.reader import EntryReader
from zabkeeper.config.servers import WILDCARD_HOST

if TYPE_CHECKING:
    from zabkeeper.config.server_config import ServerConfig

EXTENDED_TYPES_SID_MAX = 254  # TTL session ids keep the sid in one byte, and 0xff is reserved


def check_replication(
    config: ServerConfig, reader: EntryReader, warnings: list[str], require_myid: bool = True
) -> ServerConfig:
    """The config with its effective peer type, or a ConfigError saying what replication lacks.

    Without ``require_myid`` (reading another machine's zoo.cfg, as check-config does) a missing
    myid is accepted and the checks that need it are skipped.
    """
    ensemble = config.ensemble
    participants = ensemble.participants
    if len(participants) <= 1 and ensemble.observers:
        raise ConfigError(
            ensemble.source,
            None,
            f"observers {_sids(ensemble.observers)} need at least two participants to follow",
        )
    if not config.is_distributed:
        if participants:
            warnings.append("only one server is listed and standaloneEnabled is true: running standalone")
        if config.client_port is None and config.secure_client_port is None:
            raise ConfigError(config.source, None, "neither clientPort nor secureClientPort is set")
        return config
    if len(participants) <= 2:
        warnings.append(f"{len(participants)} participants tolerate no failure; use at least 3")
    elif len(participants) % 2 == 0:
        warnings.append(
            f"{len(participants)} participants tolerate no more failures than {len(participants) - 1}"
        )
    for key, value in (("initLimit", config.init_limit), ("syncLimit", config.sync_limit)):
        if value == 0:
            raise reader.error_at((key,), f"{key} is not set (it must be positive for a replicated server)")
    myid = config.myid
    if myid is None and not require_myid:
        return config
    if myid is None:
        raise ConfigError(
            config.source, None, f"{config.data_dir}/myid is missing (a replicated server needs it)"
        )
    if myid not in ensemble.servers:
        raise ConfigError(ensemble.source, None, f"myid {myid} has no server.{myid} line")
    if config.extended_types_enabled and myid > EXTENDED_TYPES_SID_MAX:
        raise ConfigError(
            config.source,
            None,
            f"myid {myid} is above {EXTENDED_TYPES_SID_MAX}, the limit with extendedTypesEnabled",
        )
    _check_client_port(config, reader)
    listed = ensemble.servers[myid].learner_type
    if listed is not config.peer_type and reader.line("peerType") is not None:
        warnings.append(f"peerType {config.peer_type.value} differs from server.{myid}: using {listed.value}")
    return replace(config, peer_type=listed)


def _check_client_port(config: ServerConfig, reader: EntryReader) -> None:
    assert config.myid is not None
    listed = config.ensemble.servers[config.myid].client_address
    if listed is None or config.client_port is None:
        return
    host = config.client_port_address or WILDCARD_HOST
    same = config.client_port == listed.port and (host == WILDCARD_HOST or host == listed.host)
    if not same:
        raise reader.error_at(
            ("clientPort",),
            f"clientPort {host}:{config.client_port} differs from the client address {listed}"
            f" in server.{config.myid}",
        )


def _sids(sids: frozenset[int]) -> str:
    return "{" + ",".join(str(sid) for sid in sorted(sids)) + "}"
