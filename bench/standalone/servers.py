"""Start and stop standalone servers on 127.0.0.1 for benchmarks and integration tests.

Two kinds, started the same way so comparisons are fair: real Apache ZooKeeper (Debian's
package, run directly with ``java`` and a small heap) and ``zabkeeper serve``. Each gets a
fresh zoo.cfg in its own work directory, a free port found by binding port 0, and is stopped
by its pid (SIGTERM, then SIGKILL), never by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
ZOOKEEPER_CONF_DIR = Path("/etc/zookeeper/conf")
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def four_letter(port: int, word: str, timeout: float = 5.0) -> str:
    """Send a four-letter word and return the whole text answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(word.encode("ascii"))
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", errors="replace")


@dataclass
class ServerProcess:
    kind: str
    port: int
    workdir: Path
    process: subprocess.Popen[bytes]
    config_path: Path

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}; see {self.log_path}")
            with contextlib.suppress(OSError):
                if "Mode:" in four_letter(self.port, "srvr", timeout=2.0):
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{self.kind} did not answer srvr on port {self.port} within {timeout}s")

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def kill9(self) -> None:
        self.stop(signal.SIGKILL)


def write_config(path: Path, settings: Mapping[str, object]) -> None:
    path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()), encoding="utf-8")


def base_settings(workdir: Path, port: int) -> dict[str, object]:
    return {
        "tickTime": 2000,
        "dataDir": workdir / "data",
        "clientPort": port,
        "clientPortAddress": "127.0.0.1",
        "4lw.commands.whitelist": "*",
        "maxClientCnxns": 0,
    }


def _spawn(kind: str, command: list[str], workdir: Path, port: int, config: Path) -> ServerProcess:
    log = (workdir / "server.log").open("ab")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True
    )
    log.close()
    return ServerProcess(kind, port, workdir, process, config)


def start_apache_zookeeper(
    workdir: Path,
    extra: Mapping[str, object] | None = None,
    heap: str = "256m",
    port: int | None = None,
    system_properties: Mapping[str, object] | None = None,
) -> ServerProcess:
    """Apache ZooKeeper 3.8 standalone (fsync on, as shipped), ready to serve. ``system_properties``
    become -D flags, for the settings ZooKeeper reads only from there."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    settings = base_settings(workdir, port) | {"admin.enableServer": "false"} | dict(extra or {})
    config = workdir / "zoo.cfg"
    write_config(config, settings)
    command = [
        "java", f"-Xmx{heap}", f"-Xms{heap}", "-XX:+UseParallelGC",
        "-cp", f"{ZOOKEEPER_CONF_DIR}:{ZOOKEEPER_JAR}",
        f"-Dzookeeper.log.dir={workdir}", "-Dzookeeper.root.logger=WARN,CONSOLE",
        "-Dzookeeper.jmx.log4j.disable=true",
        *[f"-D{key}={value}" for key, value in (system_properties or {}).items()],
        "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(config),
    ]  # fmt: skip
    server = _spawn("apache-zookeeper", command, workdir, port, config)
    server.wait_ready()
    return server


def start_zabkeeper(
    workdir: Path, extra: Mapping[str, object] | None = None, port: int | None = None, wait: bool = True
) -> ServerProcess:
    """``zabkeeper serve`` with a zoo.cfg in ``workdir``, ready to serve."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    settings = base_settings(workdir, port) | dict(extra or {})
    config = workdir / "zoo.cfg"
    write_config(config, settings)
    command = [sys.executable, "-m", "zabkeeper", "serve", "--config", str(config)]
    server = _spawn("zabkeeper", command, workdir, port, config)
    if wait:
        server.wait_ready()
    return server


def restart(server: ServerProcess) -> ServerProcess:
    """Start the same kind again on the same config (after a stop or kill -9)."""
    assert server.process.poll() is not None, "stop the server first"
    command = [str(arg) for arg in server.process.args] if isinstance(server.process.args, list) else []
    restarted = _spawn(server.kind, command, server.workdir, server.port, server.config_path)
    restarted.wait_ready()
    return restarted


@contextlib.contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    try:
        yield server
    finally:
        server.stop()


def environment_note() -> str:
    return f"{os.cpu_count()} cores, python {sys.version.split()[0]}"
