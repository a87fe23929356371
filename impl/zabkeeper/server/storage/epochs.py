"""The ``acceptedEpoch`` and ``currentEpoch`` files: one decimal number each, replaced atomically.

Zab's discovery promises rest on these two numbers surviving crashes: acceptedEpoch is the
epoch this server promised to follow (ACKEPOCH), currentEpoch the epoch whose history it has
accepted (NEWLEADER). Both are written with temp + fsync + rename + directory fsync, so a crash
leaves the old or the new value. A file that exists but does not hold a number is an error
naming the file, never silently taken as 0.
"""

from __future__ import annotations

from pathlib import Path

from zabkeeper.server.storage.durable_files import write_atomically

ACCEPTED_EPOCH = "acceptedEpoch"
CURRENT_EPOCH = "currentEpoch"


class EpochFileError(ValueError):
    pass


def read_epoch(directory: Path, name: str) -> int | None:
    """The epoch stored in ``directory/name``, or None when the file does not exist."""
    assert name in (ACCEPTED_EPOCH, CURRENT_EPOCH), name
    path = directory / name
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise EpochFileError(f"{path}: unreadable: {error}") from None
    if not text.isdigit():
        raise EpochFileError(f"{path}: expected a non-negative number, found {text[:40]!r}")
    return int(text)


def write_epoch(directory: Path, name: str, epoch: int) -> None:
    assert name in (ACCEPTED_EPOCH, CURRENT_EPOCH), name
    assert 0 <= epoch <= 0xFFFFFFFF, epoch
    write_atomically(directory / name, f"{epoch}\n".encode("ascii"))
