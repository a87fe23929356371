"""The write gap after kill -9 of the leader: milliseconds until writes succeed again.

One raw-protocol writer per server keeps a setData outstanding at a time and reconnects (a new
session) 5 ms after any connection failure, so the number measures the servers, not a client
library's backoff. The gap of one kill is the time from the SIGKILL until the first successful
setData that was sent after it.
"""

from __future__ import annotations

import asyncio
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "standalone"))

from loadgen import INT, connect_request, set_data_body, setup

RECONNECT_S = 0.005
PATH = "/bench/k0"


def _frame(xid: int) -> bytes:
    payload = struct.pack(">ii", xid, 5) + set_data_body(PATH)
    return INT.pack(len(payload)) + payload


class GapProbe:
    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.successes: list[tuple[float, float]] = []  # (sent, answered)
        self.running = True

    async def _writer(self, port: int) -> None:
        while self.running:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                try:
                    writer.write(connect_request())
                    (length,) = INT.unpack(await reader.readexactly(4))
                    response = await reader.readexactly(length)
                    if struct.unpack_from(">i", response, 4)[0] <= 0:
                        raise ConnectionError("session refused")
                    xid = 0
                    while self.running:
                        xid += 1
                        sent = time.monotonic()
                        writer.write(_frame(xid))
                        (length,) = INT.unpack(await reader.readexactly(4))
                        reply = await reader.readexactly(length)
                        if struct.unpack_from(">iqi", reply)[2] == 0:
                            self.successes.append((sent, time.monotonic()))
                finally:
                    writer.close()
            except (OSError, asyncio.IncompleteReadError, ConnectionError):
                await asyncio.sleep(RECONNECT_S)

    async def measure(self, kill: Callable[[], None], timeout_s: float = 60.0) -> float:
        """Kill (in a thread) and return the gap in ms; raises TimeoutError if writes never resume."""
        await setup(self.ports[0])  # the znode the writers set
        tasks = [asyncio.create_task(self._writer(port)) for port in self.ports]
        try:
            await asyncio.sleep(1.0)
            if not self.successes:
                raise RuntimeError("no write succeeded before the kill")
            killed_at = time.monotonic()
            await asyncio.get_running_loop().run_in_executor(None, kill)
            deadline = killed_at + timeout_s
            while time.monotonic() < deadline:
                after = [answered for sent, answered in self.successes if sent > killed_at]
                if after:
                    return (min(after) - killed_at) * 1000
                await asyncio.sleep(0.005)
            raise TimeoutError(f"no write succeeded within {timeout_s}s of the kill")
        finally:
            self.running = False
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
