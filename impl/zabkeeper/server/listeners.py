"""Client listeners: the plain ``clientPort`` and the TLS ``secureClientPort``.

The standalone server and an ensemble member open the same listeners the same way; this module
owns how (backlog from ``clientPortListenBacklog``, address reuse, the ports actually bound when
zoo.cfg asked for port 0).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

from zabkeeper.config import ServerConfig
from zabkeeper.server.connection import ClientConnection
from zabkeeper.server.zk_server import ZooKeeperServer

LISTEN_BACKLOG_DEFAULT = 1024


@dataclass
class ClientListeners:
    """The listening sockets and the ports they got (-1 when not configured)."""

    servers: list[asyncio.Server] = field(default_factory=list)
    client_port: int = -1
    secure_client_port: int = -1

    def close(self) -> None:
        for server in self.servers:
            server.close()


async def open_client_listeners(
    zk: ZooKeeperServer, config: ServerConfig, tls_context: ssl.SSLContext | None
) -> ClientListeners:
    """Listen on every client port the config names; the result has no servers if it names none."""
    loop = asyncio.get_running_loop()
    backlog = (
        config.client_port_listen_backlog if config.client_port_listen_backlog > 0 else LISTEN_BACKLOG_DEFAULT
    )
    listeners = ClientListeners()
    address = config.client_address
    if address is not None:
        server = await loop.create_server(
            lambda: ClientConnection(zk), address.host, address.port, backlog=backlog, reuse_address=True
        )
        listeners.servers.append(server)
        listeners.client_port = server.sockets[0].getsockname()[1]
    if tls_context is not None and config.secure_client_port is not None:
        secure = await loop.create_server(
            lambda: ClientConnection(zk, secure=True),
            config.secure_client_port_address or "0.0.0.0",
            config.secure_client_port,
            ssl=tls_context,
            backlog=backlog,
            reuse_address=True,
        )
        listeners.servers.append(secure)
        listeners.secure_client_port = secure.sockets[0].getsockname()[1]
    return listeners
