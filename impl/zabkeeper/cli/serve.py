"""``zabkeeper serve [--config zoo.cfg]``: run a server in the foreground.

When zoo.cfg lists ``server.N`` lines (and ``dataDir/myid`` names one of them) it runs that
ensemble member, exactly where ZooKeeper's QuorumPeerMain would; otherwise a standalone server.

With ``--config`` the server reads zoo.cfg exactly as ZooKeeper would (settings ZooKeeper takes
as Java system properties are accepted as zoo.cfg lines of the same name). Without it, it runs
on embedded defaults: clientPort 2181 on 127.0.0.1, tickTime 2000, and a data directory under
the user's data folder (``$XDG_DATA_HOME/zabkeeper`` or ``~/.local/share/zabkeeper``). A bad
configuration is refused with the file and line at fault; SIGTERM or Ctrl-C stop it cleanly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

DEFAULT_CLIENT_PORT = 2181


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "zabkeeper" / "data"


def default_config_text(data_dir: Path) -> str:
    return (
        "tickTime=2000\n"
        f"dataDir={data_dir}\n"
        f"clientPort={DEFAULT_CLIENT_PORT}\n"
        "clientPortAddress=127.0.0.1\n"
        "4lw.commands.whitelist=*\n"
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve", help="run a ZooKeeper-compatible server (standalone, or one ensemble member)"
    )
    parser.add_argument("--config", metavar="ZOO_CFG", help="zoo.cfg to read (default: embedded defaults)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    # Test/developer hook used by `zabkeeper ensemble` for its own members (partitions, status).
    parser.add_argument("--control-socket", metavar="PATH", help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from zabkeeper.config import ConfigError, load_server_config, parse_server_config
    from zabkeeper.server.standalone import StartupError, serve_forever

    logging.basicConfig(
        level=getattr(logging, args.log_level), format="%(asctime)s %(levelname)s [%(name)s] %(message)s"
    )
    try:
        if args.config:
            config = load_server_config(args.config)
        else:
            data_dir = default_data_dir()
            data_dir.mkdir(parents=True, exist_ok=True)
            config = parse_server_config(default_config_text(data_dir), "<embedded defaults>")
    except ConfigError as error:
        print(f"zabkeeper serve: {error}", file=sys.stderr)
        return 2
    for warning in config.warnings:
        logging.getLogger("zabkeeper.config").warning("%s", warning)
    try:
        if config.is_distributed:
            # server.N lines (and myid in dataDir): run one ensemble member, as QuorumPeerMain does.
            from zabkeeper.server.quorum_peer import serve_forever as serve_member

            control = Path(args.control_socket) if args.control_socket else None
            serve_member(config, control)
        else:
            serve_forever(config)
    except StartupError as error:
        print(f"zabkeeper serve: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
