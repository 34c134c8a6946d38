"""The workspace writer lock: one process writes to a local store at a time.

``fcntl.flock`` on ``store/.lock``. The kernel releases the lock when its holder exits, even
after ``kill -9``, so there is never a stale lock to clean up. The holder writes who it is into
the file, so a waiting process can say what it is waiting for. Only the writes are serialised:
reading and validating supplier files happen outside the lock, in parallel.

A lock file only works where every writer sees the same kernel (one machine; not NFS, not an
object store). Stores on object storage rely on Delta's optimistic concurrency instead.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from qsync.errors import StoreError

LOCK_FILE = ".lock"


@dataclass(frozen=True)
class LockHolder:
    """Who holds the store lock, as far as it said (fields may be empty)."""

    pid: int | None = None
    host: str | None = None
    since: str | None = None
    command: str | None = None


def _holder(descriptor: int) -> LockHolder:
    try:
        data = json.loads(os.pread(descriptor, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return LockHolder()
    if not isinstance(data, dict):
        return LockHolder()
    pid = data.get("pid")
    return LockHolder(
        pid=pid if isinstance(pid, int) else None,
        host=str(data["host"]) if data.get("host") else None,
        since=str(data["since"]) if data.get("since") else None,
        command=str(data["command"]) if data.get("command") else None,
    )


@contextmanager
def store_lock(
    folder: Path,
    on_wait: Callable[[LockHolder], None] | None = None,
    *,
    timeout: float | None = None,
) -> Iterator[None]:
    """Hold the writer lock of the store in ``folder`` for the ``with`` block.

    When another process holds it, ``on_wait`` is called once with what that process wrote
    about itself, then this one waits (for ever, or ``timeout`` seconds before a StoreError).
    """
    path = folder / LOCK_FILE
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"cannot open the store lock: {exc.strerror}",
            reference="store-not-writable",
            location=str(path),
        ) from None
    try:
        _acquire(descriptor, on_wait, timeout, path)
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(["qsync", *sys.argv[1:3]]),
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(me).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _acquire(
    descriptor: int,
    on_wait: Callable[[LockHolder], None] | None,
    timeout: float | None,
    path: Path,
) -> None:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    if on_wait is not None:
        on_wait(_holder(descriptor))
    if timeout is None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise StoreError(
                    f"the store stayed locked by another process for {timeout:g} s",
                    reference="store-locked",
                    location=str(path),
                    hint="Wait for the other qsync to finish, then run the command again.",
                ) from None
            time.sleep(0.05)
