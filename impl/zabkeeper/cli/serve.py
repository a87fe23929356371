"""``zabkeeper serve [--config zoo.cfg]``: run a standalone server in the foreground.

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
    parser = subparsers.add_parser("serve", help="run a standalone ZooKeeper-compatible server")
    parser.add_argument("--config", metavar="ZOO_CFG", help="zoo.cfg to read (default: embedded defaults)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
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
    if config.is_distributed:
        print(
            f"zabkeeper serve: {config.source} describes an ensemble; serve runs standalone only",
            file=sys.stderr,
        )
        return 2
    try:
        serve_forever(config)
    except StartupError as error:
        print(f"zabkeeper serve: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
