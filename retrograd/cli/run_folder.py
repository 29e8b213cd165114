"""Run folders that one run at a time writes: ``retrograd train`` claims its folder when it
chooses it, so that two runs never mix their files.

A new default folder (``runs/<dataset>-<date>-<time>``) is created with ``os.mkdir``, which
fails if the folder exists: two runs started in the same second get ``...-2`` and ``...-3``,
never the same one. A folder given with ``--out`` (or resumed) is claimed by a lock file
created with ``O_EXCL`` (only one process can create it), holding the host and pid of its run
and removed when the run ends; a lock left by a run killed on this host (its pid is gone) is
taken over.
"""
from __future__ import annotations

import contextlib
import os
import time

from ..processes import HOST, alive

LOCK = ".retrograd-run.lock"


class FolderInUseError(RuntimeError):
    """Another live run writes to the folder."""


def new_folder(prefix: str) -> str:
    """Creates and returns ``prefix-<date>-<time>`` (``-2``, ``-3``... when taken)."""
    base = f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    for count in range(1, 10_000):
        folder = base if count == 1 else f"{base}-{count}"
        try:
            os.mkdir(folder)
            return folder
        except FileExistsError:
            continue
    raise FolderInUseError(f"{base}: 10,000 runs were started in this second; choose --out")


def claim(folder: str) -> str:
    """Takes ``folder`` for this process (creating it if needed); returns the lock's path, to
    pass to ``release``. Raises FolderInUseError when another live run holds it."""
    os.makedirs(folder, exist_ok=True)
    lock = os.path.join(folder, LOCK)
    while True:
        try:
            handle = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            owner = _owner(lock)
            if owner is not None and owner[0] == HOST and not alive(owner[1]):
                release(lock)  # its run was killed: take the folder over
                continue
            who = f"pid {owner[1]} on {owner[0]}" if owner else "another process"
            raise FolderInUseError(f"{folder} is being written by another retrograd run "
                                   f"({who}): choose another --out, or wait until it ends "
                                   f"(if no run is left, delete {lock})") from None
        with os.fdopen(handle, "w") as file:
            file.write(f"{HOST} {os.getpid()}\n")
        return lock


def release(lock: str) -> None:
    """Gives the folder up (its lock removed)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock)


def _owner(lock: str) -> tuple[str, int] | None:
    try:
        with open(lock) as file:
            host, pid = file.read(200).split()
        return host, int(pid)
    except (OSError, ValueError):
        return None  # unreadable or being written: treated as taken
