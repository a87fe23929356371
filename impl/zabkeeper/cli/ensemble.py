"""``zabkeeper ensemble``: run a local ensemble of real server processes, and poke at it.

``zabkeeper ensemble --size 3 [--observers N]`` starts the members (ports and data directories
chosen for you under ``--dir``, default ``.zabkeeper/ensemble``), waits for a leader, prints the
connect string and the members, and then supervises them until Ctrl-C, which stops every member
cleanly. While it runs, commands typed at its prompt, or given from another shell as
``zabkeeper ensemble COMMAND [N]``, act on one member:

    kill N      kill -9 member N          restart N   start (or stop and start) member N
    stop N      stop member N cleanly     pause N     SIGSTOP member N (resume N: SIGCONT)
    isolate N   cut N off from the others at the transport (heal: end every partition)
    status      one line per member

The supervisor owns the member processes (it restarts them as its children); the command form
talks to it over ``<dir>/ensemble.sock``.
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import shutil
import signal
import socket
import sys
import threading
from pathlib import Path

from zabkeeper.cli.local_ensemble import LocalEnsemble

ACTIONS_WITH_SID = ("kill", "restart", "stop", "pause", "resume", "isolate")
ACTIONS = (*ACTIONS_WITH_SID, "heal", "status")
DEFAULT_DIR = Path(".zabkeeper") / "ensemble"
SOCKET_NAME = "ensemble.sock"
COMMAND_BYTES_MAX = 1024


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ensemble",
        help="run a local ensemble of real server processes (or act on the running one)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", nargs="?", choices=ACTIONS, help="act on the running ensemble")
    parser.add_argument("sid", nargs="?", type=int, help="the member to act on")
    parser.add_argument("--size", type=int, default=3, help="voting members (default 3)")
    parser.add_argument("--observers", type=int, default=0, help="observers (default 0)")
    parser.add_argument(
        "--dir", type=Path, default=DEFAULT_DIR, help=f"work directory (default {DEFAULT_DIR})"
    )
    parser.add_argument("--tick-time", type=int, default=2000, help="zoo.cfg tickTime in ms (default 2000)")
    parser.add_argument("--fresh", action="store_true", help="delete the data of a previous run first")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.action is not None:
        return _send_command(args)
    if args.size < 1 or args.observers < 0:
        print("zabkeeper ensemble: --size must be at least 1 and --observers not negative", file=sys.stderr)
        return 2
    return Supervisor(args).run()


def _command_text(args: argparse.Namespace) -> str | None:
    if args.action in ACTIONS_WITH_SID:
        if args.sid is None:
            return None
        return f"{args.action} {args.sid}"
    return str(args.action)


def _send_command(args: argparse.Namespace) -> int:
    command = _command_text(args)
    if command is None:
        print(f"zabkeeper ensemble: {args.action} needs a member number", file=sys.stderr)
        return 2
    path = args.dir.resolve() / SOCKET_NAME
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(60)
            sock.connect(str(path))
            sock.sendall(command.encode() + b"\n")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    except OSError as error:
        print(f"zabkeeper ensemble: no running ensemble at {path} ({error})", file=sys.stderr)
        return 1
    text = answer.decode()
    print(text, end="" if text.endswith("\n") else "\n")
    return 1 if text.startswith("error") else 0


class Supervisor:
    """Owns the member processes; executes commands one at a time from the prompt and the socket."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dir: Path = args.dir.resolve()
        self.commands: queue.Queue[tuple[str, queue.Queue[str] | None]] = queue.Queue()
        self.ensemble: LocalEnsemble | None = None

    def run(self) -> int:
        socket_path = self.dir / SOCKET_NAME
        if _is_listening(socket_path):
            print(f"zabkeeper ensemble: an ensemble already runs in {self.dir}", file=sys.stderr)
            return 1
        if self.args.fresh and self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        socket_path.unlink(missing_ok=True)
        listener.bind(str(socket_path))
        listener.listen(8)
        ensemble = LocalEnsemble(
            self.dir, size=self.args.size, observers=self.args.observers, tick_time=self.args.tick_time
        )
        self.ensemble = ensemble
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _interrupt)
        try:
            ensemble.start_all()
            leader = ensemble.wait_serving(timeout_s=60)
            self._banner(leader)
            threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
            threading.Thread(target=self._read_prompt, daemon=True).start()
            self._serve_commands()
        except KeyboardInterrupt:
            print("\nstopping every member ...", flush=True)
        except (TimeoutError, RuntimeError) as error:
            print(f"zabkeeper ensemble: {error}\nlogs: {self.dir}/m*/server.log", file=sys.stderr)
            return 1
        finally:
            ensemble.close()
            listener.close()
            socket_path.unlink(missing_ok=True)
        return 0

    def _banner(self, leader: int) -> None:
        ensemble = self.ensemble
        assert ensemble is not None
        print(
            f"zabkeeper ensemble: {ensemble.size} voters and {ensemble.observers} observer(s) in {self.dir}"
        )
        print(f"connect string: {ensemble.connect_string}")
        for sid, member in ensemble.members.items():
            role = "observer" if member.observer else ("leader" if sid == leader else "follower")
            print(
                f"  server {sid}: client 127.0.0.1:{member.client_port}  {role:<8}  "
                f"metrics http://127.0.0.1:{member.metrics_port}/metrics  log {member.log_path}"
            )
        print(
            "commands (here, or `zabkeeper ensemble COMMAND N` from another shell): "
            + ", ".join(ACTIONS)
            + "; Ctrl-C stops every member",
            flush=True,
        )

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(10)
                with contextlib.suppress(OSError):
                    line = connection.recv(COMMAND_BYTES_MAX).decode("utf-8", "replace").strip()
                    reply: queue.Queue[str] = queue.Queue()
                    self.commands.put((line, reply))
                    connection.sendall(reply.get().encode() + b"\n")

    def _read_prompt(self) -> None:
        for line in sys.stdin:
            if line.strip():
                self.commands.put((line.strip(), None))

    def _serve_commands(self) -> None:
        while True:
            line, reply = self.commands.get()
            answer = self.execute(line)
            if reply is not None:
                reply.put(answer)
            else:
                print(answer, flush=True)

    def execute(self, line: str) -> str:
        ensemble = self.ensemble
        assert ensemble is not None
        word, _, rest = line.partition(" ")
        if word not in ACTIONS:
            return f"error: unknown command {word!r}; commands: {', '.join(ACTIONS)}"
        try:
            if word == "status":
                return self._status()
            if word == "heal":
                ensemble.heal()
                return "ok: every partition healed"
            sid = int(rest)
            if sid not in ensemble.members:
                return f"error: no member {sid}"
            getattr(ensemble, word)(sid)
            return f"ok: {word} {sid}"
        except (ValueError, OSError, AssertionError) as error:
            return f"error: {word} {rest}: {error}"

    def _status(self) -> str:
        ensemble = self.ensemble
        assert ensemble is not None
        lines = []
        for sid, state in ensemble.statuses().items():
            member = ensemble.members[sid]
            if state is None:
                what = "paused" if member.paused else "down"
                lines.append(f"server {sid}: {what}")
                continue
            lines.append(
                f"server {sid}: {state['state'].lower()}/{state['zab_state'].lower()} "
                f"leader={state['leader']} epoch={state['current_epoch']} zxid=0x{state['applied_zxid']} "
                f"serving={state['serving']} blocked={state['blocked']}"
            )
        return "\n".join(lines)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _is_listening(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
            return True
        except OSError:
            return False
