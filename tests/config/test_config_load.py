"""Reading from disk: zoo.cfg, the dynamic file next to it, and dataDir/myid."""

from __future__ import annotations

from pathlib import Path

import pytest

from zabkeeper.config import ConfigError, load_server_config, read_myid


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="iso-8859-1")
    return path


def test_load_reads_myid_and_dynamic_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _write(data / "myid", "2\n")
    _write(tmp_path / "zoo.cfg.dynamic.0", "server.1=h1:1:2;3\nserver.2=h2:1:2;3\nserver.3=h3:1:2;3\n")
    cfg = _write(
        tmp_path / "zoo.cfg",
        f"tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir={data}\ndynamicConfigFile=zoo.cfg.dynamic.0\n",
    )
    config = load_server_config(cfg)
    assert config.myid == 2 and config.is_distributed
    assert config.ensemble.source == str(tmp_path / "zoo.cfg.dynamic.0")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"zoo.cfg: cannot read"):
        load_server_config(tmp_path / "zoo.cfg")


def test_missing_dynamic_file_names_the_line(tmp_path: Path) -> None:
    cfg = _write(tmp_path / "zoo.cfg", "dataDir=/nonexistent\ndynamicConfigFile=nope.cfg\n")
    with pytest.raises(ConfigError, match=r"zoo.cfg:2: dynamicConfigFile: .*nope.cfg does not exist"):
        load_server_config(cfg)


@pytest.mark.parametrize(("text", "expected"), [("1\n", 1), ("  42 \nignored", 42), ("0", 0)])
def test_read_myid(tmp_path: Path, text: str, expected: int) -> None:
    _write(tmp_path / "myid", text)
    assert read_myid(tmp_path) == expected


@pytest.mark.parametrize("text", ["", "one", "-1", "1.5", "99999999999999999999"])
def test_bad_myid(tmp_path: Path, text: str) -> None:
    _write(tmp_path / "myid", text)
    with pytest.raises(ConfigError, match=r"myid:1: myid "):
        read_myid(tmp_path)


def test_no_myid_file_is_none(tmp_path: Path) -> None:
    assert read_myid(tmp_path) is None
