"""Fixtures for server tests: real server processes on 127.0.0.1 (zabkeeper and Apache ZooKeeper).

Servers are started through ``bench/standalone/servers.py`` (the same code the benchmark uses),
on free ports, in pytest temp directories, and stopped by pid in the fixture's teardown even
when a test fails.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "standalone"))

import servers
from server_support import REAPER_QUIET_MS, SUPER_DIGEST, zabkeeper_settings


@pytest.fixture(scope="module")
def zab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.ServerProcess]:
    """One zabkeeper standalone server per test module."""
    server = servers.start_zabkeeper(tmp_path_factory.mktemp("zab"), zabkeeper_settings())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def zab_factory(tmp_path: Path) -> Iterator[list[servers.ServerProcess]]:
    """For tests that start, kill and restart their own servers: every one is stopped at the end."""
    started: list[servers.ServerProcess] = []
    try:
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="session")
def apache_zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.ServerProcess]:
    """Real Apache ZooKeeper 3.8 (Debian), started once per test session with a small heap."""
    if shutil.which("java") is None or not servers.ZOOKEEPER_JAR.exists():
        pytest.fail("Apache ZooKeeper is not installed: run scripts/install-system-deps")
    # ZooKeeper turns an unknown zoo.cfg key k into the system property "zookeeper." + k.
    extra = {"extendedTypesEnabled": "true", "DigestAuthenticationProvider.superDigest": SUPER_DIGEST}
    # The container/TTL reaper runs on its own clock; keep it out of the way of zxid comparisons.
    quiet = {"znode.container.checkIntervalMs": REAPER_QUIET_MS}
    server = servers.start_apache_zookeeper(
        tmp_path_factory.mktemp("apache-zk"), extra, heap="128m", system_properties=quiet
    )
    try:
        yield server
    finally:
        server.stop()
