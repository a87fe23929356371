"""A member's control socket: the test and developer hooks ``zabkeeper ensemble`` drives.

Enabled only when the member is started with ``--control-socket PATH`` (``zabkeeper ensemble``
does so for its own processes; a production ``zabkeeper serve`` has none). A Unix socket in the
member's work directory answers one command per line with one line:

* ``status``: a JSON object (sid, state, Zab phase, leader, epochs, zxids, sync counters);
* ``block 1,3``: drop all traffic with these servers, as a network partition would;
* ``unblock``: heal the partition.

Lines are bounded (``LINE_MAX``); anything unknown answers ``error ...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LINE_MAX = 4096


class ControlServer:
    def __init__(
        self,
        path: Path,
        status: Callable[[], dict[str, Any]],
        block: Callable[[frozenset[int]], None],
        unblock: Callable[[], None],
    ) -> None:
        self.path = path
        self.status = status
        self.block = block
        self.unblock = unblock
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self.path.unlink(missing_ok=True)
        self.server = await asyncio.start_unix_server(self._serve, path=str(self.path), limit=LINE_MAX)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)
        self.path.unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write(self.execute(line.decode("utf-8", "replace").strip()).encode() + b"\n")
                await writer.drain()
        except (ValueError, ConnectionError) as error:
            log.warning("control connection dropped: %s", error)
        finally:
            writer.close()

    def execute(self, command: str) -> str:
        word, _, rest = command.partition(" ")
        if word == "status":
            return json.dumps(self.status(), sort_keys=True)
        if word == "block":
            try:
                sids = frozenset(int(part) for part in rest.replace(",", " ").split())
            except ValueError:
                return f"error: bad server list {rest!r}"
            self.block(sids)
            return "ok"
        if word == "unblock":
            self.unblock()
            return "ok"
        return f"error: unknown command {word!r} (status, block SIDS, unblock)"


def control_request(path: Path, command: str, timeout_s: float = 5.0) -> str:
    """Send one command to a member's control socket and return its answer (blocking)."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        sock.connect(str(path))
        sock.sendall(command.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) > 1 << 20:
                raise ValueError("control answer too long")
        return data.decode().strip()
