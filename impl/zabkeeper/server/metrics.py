"""The Prometheus metrics endpoint (``metricsProvider.httpPort``): ``GET /metrics`` in text format.

ZooKeeper's PrometheusMetricsProvider serves its metrics on that port; we serve the same numbers
``mntr`` reports (``zk_*`` names without the prefix, e.g. ``znode_count``), each as a gauge, with
``quorum_state`` labelled by the member's role. Numeric values only: ``mntr``'s text values
(version, state) become labels. Requests are read with a bounded size and answered with one
response, then the connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

REQUEST_BYTES_MAX = 8192
_NAME = re.compile(r"[^a-zA-Z0-9_]")

Gather = Callable[[], Sequence[tuple[str, object]]]


def render(values: Sequence[tuple[str, object]]) -> str:
    """Prometheus text exposition of ``mntr``-style (key, value) pairs."""
    lines: list[str] = []
    labels: list[str] = []
    for key, value in values:
        name = _NAME.sub("_", key.removeprefix("zk_"))
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int | float):
            lines.append(f"# TYPE {name} gauge\n{name} {value}")
        else:
            text = str(value).replace("\\", "\\\\").replace('"', '\\"')
            labels.append(f'{name}="{text}"')
    if labels:
        lines.append("# TYPE server_info gauge\nserver_info{" + ",".join(labels) + "} 1")
    return "\n".join(lines) + "\n"


class MetricsServer:
    def __init__(self, host: str, port: int, gather: Gather) -> None:
        self.host = host
        self.port = port
        self.gather = gather
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, self.host, self.port, limit=REQUEST_BYTES_MAX)
        self.port = self.server.sockets[0].getsockname()[1]
        log.info("Prometheus metrics on http://%s:%d/metrics", self.host, self.port)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            target = request.split(b" ", 2)[1] if request.count(b" ") >= 2 else b""
            if request.startswith(b"GET ") and target.split(b"?")[0] in (b"/metrics", b"/"):
                status, body = "200 OK", render(self.gather())
            else:
                status, body = "404 Not Found", "only GET /metrics is served\n"
            payload = body.encode()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()
