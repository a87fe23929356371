"""zoo.cfg: parsing, validation and the ensemble view, as ZooKeeper reads them.

Pure (stdlib only, no I/O) except ``load``: parse a zoo.cfg text into a frozen ``ServerConfig``
or get a ``ConfigError`` naming the file, the line and the problem. The server refuses to start
on any ``ConfigError``, and ``zabkeeper check-config`` prints the same message.

    config = load_server_config("conf/zoo.cfg")   # reads zoo.cfg, its dynamic file, dataDir/myid
    config.quorum_verifier().contains_quorum({1, 2})
    config.ensemble.servers[2].election_address
"""

from zabkeeper.config.conf import ConfRuntime, render_conf
from zabkeeper.config.ensemble import Ensemble
from zabkeeper.config.errors import ConfigError
from zabkeeper.config.load import load_server_config, read_myid
from zabkeeper.config.properties import Property, parse_properties
from zabkeeper.config.server_config import ServerConfig, SslConfig, parse_server_config
from zabkeeper.config.servers import Address, LearnerType, QuorumServer

__all__ = [
    "Address",
    "ConfRuntime",
    "ConfigError",
    "Ensemble",
    "LearnerType",
    "Property",
    "QuorumServer",
    "ServerConfig",
    "SslConfig",
    "load_server_config",
    "parse_properties",
    "parse_server_config",
    "read_myid",
    "render_conf",
]
