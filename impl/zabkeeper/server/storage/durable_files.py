"""Small crash-safe file operations shared by the storage modules.

``write_atomically`` is the one way storage replaces a whole file: write a temp file in the same
directory, fsync it, rename it over the target, fsync the directory. After a crash the target
holds either its old or its new content, never a mix or nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + TEMP_SUFFIX)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    fsync_dir(path.parent)


def remove_temp_files(directory: Path) -> list[Path]:
    """Delete leftovers of writes that a crash interrupted; they were never part of the state."""
    removed = []
    for temp in directory.glob("*" + TEMP_SUFFIX):
        temp.unlink()
        removed.append(temp)
    return removed
