"""A crash-proof way to run a reader: a worker process with a memory limit and a timeout.

Whatever goes wrong inside a reader is contained by :func:`run_isolated`: the reader runs in
a worker process with an address-space limit and a timeout, so an abort, a ``MemoryError`` or
a hang becomes a :class:`SupplierFileError` naming the file, never a dead qsync.

The worker starts with nothing but this module imported and is told what to import next
(:func:`start_worker`), on a thread of its own, so a request can start while the rest still
loads. Requests and answers are pickled over the worker's stdin and stdout; polars data frames
in an answer travel as Arrow IPC files in a private spool directory (in RAM, on ``/dev/shm``,
when there is one) instead of inside the pickle: for a 200k-row sheet that is about 30 ms
instead of 150 ms. A frame the spool cannot take is pickled as before.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import pickle
import selectors
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from qsync.errors import QsyncError, SupplierFileError

DEFAULT_MEMORY_LIMIT_MB = 4096
"""Address space of the reader worker (``RLIMIT_AS``), which counts about 1 GiB of thread
stacks and allocator reservations once polars is imported."""
DEFAULT_TIMEOUT_S = 120.0
"""Wall time one isolated read may take (a 1M-cell sheet reads in about 1 s)."""
EXCEL_MODULES = ("fastexcel", "qsync.readers.grid")
"""What the worker imports for an Excel read while the parent checks the file (polars, the
bulk, it imports while calamine parses: see :mod:`qsync.readers.grid`)."""

T = TypeVar("T")
_BOOT = "from qsync.readers.isolate import _worker_main; _worker_main()"
_LENGTH = struct.Struct("<Q")


class _WorkerGone(Exception):
    """The worker closed its pipe (it died) before answering."""


def _frame(obj: object) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def _make_spool() -> str | None:
    """A private directory for the worker's data frames: in RAM (``/dev/shm``) when there is
    one, else in the temporary directory; ``None`` (frames travel in the pickle) when neither
    can be made."""
    for root in ("/dev/shm", None):
        if root is not None and not os.path.isdir(root):
            continue
        with contextlib.suppress(OSError):
            return tempfile.mkdtemp(prefix="qsync-spool-", dir=root)
    return None


def _load_spooled(path: str) -> Any:
    """A data frame the worker wrote as an Arrow IPC file (read, then the file removed)."""
    import polars as pl

    try:
        return pl.read_ipc(path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


class _SpoolingPickler(pickle.Pickler):
    """Pickles polars data frames as the name of an Arrow IPC file written to ``spool``."""

    def __init__(self, file: io.BytesIO, spool: str | None) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.spool = spool
        polars = sys.modules.get("polars")
        self.frame_type = getattr(polars, "DataFrame", None) if spool else None

    def reducer_override(self, obj: Any) -> Any:
        if self.frame_type is None or type(obj) is not self.frame_type:
            return NotImplemented
        name = None
        try:
            fd, name = tempfile.mkstemp(suffix=".arrow", dir=self.spool)
            with os.fdopen(fd, "wb") as out:
                obj.write_ipc(out)
        except Exception:  # the spool is full (a small /dev/shm): pickle the frame instead
            if name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(name)
            return NotImplemented
        return _load_spooled, (name,)


def _answer_frame(obj: object, spool: str | None) -> bytes:
    buffer = io.BytesIO()
    buffer.write(b"\0" * _LENGTH.size)
    _SpoolingPickler(buffer, spool).dump(obj)
    data = buffer.getbuffer()
    _LENGTH.pack_into(data, 0, len(data) - _LENGTH.size)
    return bytes(data)


class _Worker:
    """One reader process, reused across files until something goes wrong in it."""

    def __init__(self, preload: tuple[str, ...] = ()) -> None:
        import qsync

        root = str(Path(qsync.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        # Fewer threads and malloc arenas: each reserves address space that RLIMIT_AS counts.
        env.setdefault("POLARS_MAX_THREADS", str(min(4, os.cpu_count() or 1)))
        env.setdefault("MALLOC_ARENA_MAX", "2")
        env["RUST_BACKTRACE"] = "0"  # one line saying why, not 50 lines of frames
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker)
        self.spool = _make_spool()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
            close_fds=True,
        )
        os.set_blocking(self.proc.stdin.fileno(), False)  # type: ignore[union-attr]
        self.pending = b""
        self.preloaded: set[str] = set()
        self.send(_frame(("init", list(sys.path), self.spool)))
        self.preload(preload)

    def send(self, data: bytes) -> None:
        """Queue ``data`` for the worker and write what the pipe takes now."""
        assert self.proc.stdin is not None
        self.pending += data
        with contextlib.suppress(BlockingIOError, BrokenPipeError):
            sent = os.write(self.proc.stdin.fileno(), self.pending)
            self.pending = self.pending[sent:]

    def preload(self, modules: tuple[str, ...]) -> None:
        """Have the worker import ``modules`` (in the background) unless asked before."""
        wanted = tuple(m for m in modules if m not in self.preloaded)
        if wanted:
            self.preloaded.update(wanted)
            self.send(_frame(("preload", wanted)))

    def exchange(self, request: object, deadline: float) -> Any:
        """Send one request and wait for its answer until ``deadline`` (monotonic)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        out = self.pending + _frame(request)
        self.pending = b""
        answer = bytearray()
        needed: int | None = None
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            if out:
                selector.register(self.proc.stdin, selectors.EVENT_WRITE)
            while needed is None or len(answer) < needed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                for key, _ in selector.select(remaining):
                    if key.fileobj is self.proc.stdin:
                        try:
                            sent = os.write(self.proc.stdin.fileno(), out)
                        except BrokenPipeError:
                            raise _WorkerGone from None
                        out = out[sent:]
                        if not out:
                            selector.unregister(self.proc.stdin)
                        continue
                    chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
                    if not chunk:
                        raise _WorkerGone
                    answer += chunk
                    if needed is None and len(answer) >= _LENGTH.size:
                        needed = _LENGTH.size + _LENGTH.unpack_from(answer)[0]
        return pickle.loads(memoryview(answer)[_LENGTH.size :])

    def stop(self) -> str:
        """Kill the worker; the tail of what it wrote to stderr."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.stderr.seek(0, os.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - 2000))
        tail = self.stderr.read().decode("utf-8", "replace")
        self.stderr.close()
        self._remove_spool()
        return tail

    def close(self) -> None:
        """Ask the worker to exit (end of its input) and wait for it."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()
        self._remove_spool()

    def _remove_spool(self) -> None:
        if self.spool is not None:
            shutil.rmtree(self.spool, ignore_errors=True)


_lock = threading.Lock()
_worker: _Worker | None = None


def _running() -> _Worker | None:
    """The worker if it is alive (one that died on its own is cleaned up); hold ``_lock``."""
    global _worker
    if _worker is not None and _worker.proc.poll() is not None:
        _worker.stop()
        _worker = None
    return _worker


def start_worker(preload: tuple[str, ...] = EXCEL_MODULES) -> None:
    """Start the reader worker now, so its start-up overlaps the caller's own checks, and
    have it import ``preload`` (by default what an Excel read needs) in the background."""
    global _worker
    with _lock:
        worker = _running()
        if worker is None:
            _worker = _Worker(preload)
        else:
            worker.preload(preload)


def shutdown_worker() -> None:
    """Stop the reader worker if one is running (also done at exit)."""
    global _worker
    with _lock:
        if _worker is not None:
            _worker.close()
            _worker = None


atexit.register(shutdown_worker)


def _crashed(location: str | None, reason: str, message: str, tail: str = "") -> SupplierFileError:
    return SupplierFileError(
        f"the reader stopped: {message}",
        reference="reader-crashed",
        location=location,
        note="qsync stopped reading this file to protect itself; the file is probably hostile "
        "or far larger than a supplier submission.",
        hint="Open the file in Excel, check it, save it as a new .xlsx and send that.",
        details=[line for line in tail.splitlines()[-5:] if line.strip()],
        params={"reason": reason},
    )


def run_isolated(
    func: Callable[..., T],
    *args: Any,
    memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    location: str | None = None,
    deadline: float | None = None,
) -> T:
    """Call ``func(*args)`` in a worker process with a memory limit and a timeout.

    ``func`` must be importable by name (a module-level function) and ``args`` and its result
    picklable. A :class:`~qsync.errors.QsyncError` raised by ``func`` is re-raised here. An
    abort, a ``MemoryError``, any other exception or a timeout raises
    :class:`SupplierFileError` with reference ``reader-crashed`` (``params["reason"]`` is
    ``memory``, ``timeout`` or ``crash``) located at ``location``. The worker is reused for
    the next call unless something went wrong in it. ``deadline`` (monotonic), when given,
    replaces ``now + timeout_s``, for a read made of several calls sharing one timeout.

    >>> run_isolated(divmod, 7, 2)
    (3, 1)
    """
    global _worker
    limit = memory_limit_mb * 2**20 if memory_limit_mb else None
    with _lock:
        worker = _worker = _running() or _Worker()
        try:
            status, payload = worker.exchange(
                ("call", func, args, limit),
                time.monotonic() + timeout_s if deadline is None else deadline,
            )
        except TimeoutError:
            _worker = None
            worker.stop()
            raise _crashed(location, "timeout", f"no result after {timeout_s:g} s") from None
        except (_WorkerGone, OSError, pickle.UnpicklingError, EOFError):
            _worker = None
            tail = worker.stop()
            code = worker.proc.returncode
            raise _crashed(
                location, "crash", f"the reader process died (exit {code})", tail
            ) from None
        except BaseException:  # interrupted mid-request: its answer must not reach the next
            _worker = None
            worker.stop()
            raise
        if status == "ok":
            return payload
        if status == "qsync-error":
            cls, values = payload
            raise cls(**values)
        _worker = None
        worker.stop()
        if status == "memory":
            raise _crashed(location, "memory", f"out of memory (limit {memory_limit_mb} MiB)")
        raise _crashed(location, "crash", "the reader failed", payload)


def cast_isolated(func: Callable[..., object], *args: Any) -> None:
    """Have the running worker call ``func(*args)`` when it is next free, without waiting
    for it or hearing back (tidying up, such as closing a document kept open). Nothing
    happens when no worker is running."""
    with _lock:
        worker = _running()
        if worker is not None:
            worker.send(_frame(("cast", func, args)))


def _preload(modules: tuple[str, ...]) -> None:
    for module in modules:
        with contextlib.suppress(ImportError):
            __import__(module)


def _worker_main() -> None:
    """Body of the worker process: answer framed pickled requests on stdin until EOF."""
    import resource
    import traceback

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() must not corrupt the answers
    inp = sys.stdin.buffer
    spool: str | None = None
    loaders: list[threading.Thread] = []
    while True:
        header = inp.read(_LENGTH.size)
        if len(header) < _LENGTH.size:  # the parent closed our input, or died
            for loader in loaders:
                loader.join()
            if spool is not None:
                shutil.rmtree(spool, ignore_errors=True)
            return
        request = pickle.loads(inp.read(_LENGTH.unpack(header)[0]))
        if request[0] == "init":
            sys.path[:] = request[1]
            spool = request[2]
            continue
        if request[0] == "cast":
            with contextlib.suppress(Exception):
                request[1](*request[2])
            continue
        if request[0] == "preload":
            loader = threading.Thread(target=_preload, args=(request[1],), daemon=True)
            loader.start()
            loaders.append(loader)
            continue
        _, func, args, limit = request
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if limit:
            capped = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (capped, hard))
        answer: tuple[str, Any]
        try:
            answer = ("ok", func(*args))
        except QsyncError as exc:
            values = {f.name: getattr(exc, f.name) for f in fields(exc)}
            answer = ("qsync-error", (type(exc), values))
        except MemoryError:
            answer = ("memory", None)
        except Exception:
            answer = ("crash", traceback.format_exc(limit=-8))
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        try:
            framed = _answer_frame(answer, spool)
        except Exception:
            answer = ("crash", traceback.format_exc(limit=-8))
            framed = _frame(answer)
        out.write(framed)
        out.flush()
        if answer[0] in ("memory", "crash"):
            return
