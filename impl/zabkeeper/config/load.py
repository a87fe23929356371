"""Reading a server's configuration from disk: zoo.cfg, its dynamic file, and ``dataDir/myid``.

The only module of ``zabkeeper.config`` that touches files; everything it reads goes to the
pure ``parse_server_config``. Files are decoded as ISO-8859-1, as ``Properties.load`` does.
A relative ``dynamicConfigFile`` is looked up next to zoo.cfg (ZooKeeper resolves it against
its working directory, but writes absolute paths itself, so only hand-written files differ);
a relative ``dataDir`` is used as given, relative to the working directory, as in ZooKeeper.
"""

from __future__ import annotations

from pathlib import Path

from zabkeeper.config.errors import ConfigError
from zabkeeper.config.properties import parse_properties
from zabkeeper.config.server_config import ServerConfig, parse_server_config
from zabkeeper.config.servers import SID_MAX

_ENCODING = "iso-8859-1"


def load_server_config(path: str | Path, require_myid: bool = True) -> ServerConfig:
    """The validated configuration of the server whose zoo.cfg is ``path``.

    ``require_myid=False`` reads a zoo.cfg whose dataDir is on another machine (check-config):
    ``dataDir/myid`` is read if it exists here, and its absence is not an error.
    """
    source = str(path)
    text = _read(Path(path), source)
    static = {entry.key: entry for entry in parse_properties(text, source)}
    dynamic_text: str | None = None
    dynamic_source: str | None = None
    if "dynamicConfigFile" in static:
        entry = static["dynamicConfigFile"]
        dynamic_path = Path(path).parent / entry.value
        if not dynamic_path.is_file():
            raise ConfigError(source, entry.line, f"dynamicConfigFile: {dynamic_path} does not exist")
        dynamic_source = str(dynamic_path)
        dynamic_text = _read(dynamic_path, dynamic_source)
    myid = None
    if "dataDir" in static:
        myid = read_myid(Path(static["dataDir"].value))
    return parse_server_config(
        text,
        source,
        dynamic_text=dynamic_text,
        dynamic_source=dynamic_source,
        myid=myid,
        require_myid=require_myid,
    )


def read_myid(data_dir: Path) -> int | None:
    """The sid in ``data_dir/myid`` (its first line), or None when there is no such file."""
    path = data_dir / "myid"
    if not path.is_file():
        return None
    lines = _read(path, str(path)).splitlines()
    first = lines[0].strip() if lines else ""
    if not first.isascii() or not first.isdigit():
        raise ConfigError(str(path), 1, f"myid '{first}' is not a number")
    myid = int(first)
    if myid > SID_MAX:
        raise ConfigError(str(path), 1, f"myid {myid} is out of range 0..{SID_MAX}")
    return myid


def _read(path: Path, source: str) -> str:
    try:
        return path.read_bytes().decode(_ENCODING)
    except OSError as error:
        raise ConfigError(source, None, f"cannot read: {error.strerror or error}") from None
