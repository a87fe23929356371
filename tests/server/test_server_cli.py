"""``zabkeeper serve``: embedded defaults, refusal of a bad zoo.cfg (file and line), maxClientCnxns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import servers
from rawclient import RawClient

from zabkeeper.cli.serve import default_config_text, default_data_dir
from zabkeeper.config import parse_server_config
from zabkeeper.tree.constants import OpCode


def test_embedded_defaults_serve_localhost_2181_from_the_user_data_folder(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "zabkeeper" / "data"
    config = parse_server_config(default_config_text(default_data_dir()), "<embedded defaults>")
    assert (config.client_port, config.client_port_address) == (2181, "127.0.0.1")
    assert config.data_dir == str(tmp_path / "zabkeeper" / "data") and config.tick_time == 2000


def test_bad_zoo_cfg_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text(f"dataDir={tmp_path}\nclientPort=2181\ntickTime=often\n")
    result = subprocess.run(
        [sys.executable, "-m", "zabkeeper", "serve", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{cfg}:3:" in result.stderr and "tickTime" in result.stderr


@pytest.mark.network
def test_max_client_cnxns_limits_connections_per_address(tmp_path, zab_factory) -> None:  # type: ignore[no-untyped-def]
    server = servers.start_zabkeeper(tmp_path, {"maxClientCnxns": 2})
    zab_factory.append(server)
    first, second = RawClient(server.port), RawClient(server.port)
    with pytest.raises(ConnectionError):
        RawClient(server.port, io_timeout=5)
    assert first.call(OpCode.ping, None)[0].err == 0
    first.close()
    second.close()
