"""The raw archive: every file received, byte for byte, at ``raw/<sha256>``.

Content addressing makes the archive idempotent: the same bytes always land at the same name,
so a second copy is never made. Locally a file is written to a temporary name in ``raw/``,
flushed to disk (``fsync``) and renamed into place, then the folder entry itself is synced:
after a crash the archive holds either the whole file or nothing under that name (a stray
``.tmp-*`` file at worst, never read). On an object store a PUT is atomic by itself.

The time a file was first archived is its ``received_at``: re-running an interrupted ingest
keeps the original arrival time, which decides which of two submissions of a key is newer.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from qsync.errors import StoreError
from qsync.store import delta
from qsync.store.location import StoreLocation

CHUNK = 1 << 20
FOLDER = "raw"


@dataclass(frozen=True)
class ArchivedFile:
    """A file in the raw archive."""

    sha256: str
    location: str
    received_at: datetime
    created: bool


class RawArchive:
    """The content-addressed archive of a store."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location

    def path_of(self, sha256: str) -> str:
        """Where the file with this hash is (or would be) archived."""
        return self.location.join(FOLDER, sha256)

    def received_at(self, sha256: str) -> datetime | None:
        """When this content was first archived, known before :meth:`put` finishes: the
        archived file's time, or now for content not archived yet (``put(...,
        received=...)`` then gives the file exactly that time). ``None`` on an object store,
        where it is known once the object is written."""
        if not self.location.is_local:
            return None
        final = self.location.path / FOLDER / sha256
        return _mtime(final) if final.exists() else _now()

    def put(
        self,
        source: Path,
        sha256: str,
        data: bytes | None = None,
        received: datetime | None = None,
    ) -> ArchivedFile:
        """Archive ``source``, whose content hash the caller computed as ``sha256``.

        ``data``, when given, are the very bytes the caller hashed: they are archived as they
        are. Otherwise the file is read and hashed again while copied; if its bytes differ
        (the file changed in the meantime) nothing is archived and a :class:`StoreError` is
        raised. ``received`` (from :meth:`received_at`) becomes a new local file's time.
        """
        if self.location.is_local:
            return self._put_local(source, sha256, data, received)
        return self._put_remote(source, sha256, data)

    def read(self, sha256: str) -> bytes:
        """The archived bytes."""
        if self.location.is_local:
            try:
                return Path(self.path_of(sha256)).read_bytes()
            except OSError as exc:
                raise StoreError(
                    f"raw file missing from the archive: {exc.strerror}",
                    reference="store-raw-missing",
                    location=self.path_of(sha256),
                ) from None
        return delta.get_object(self.location.root, self.location.storage_options, _key(sha256))

    def _put_local(
        self, source: Path, sha256: str, data: bytes | None, received: datetime | None
    ) -> ArchivedFile:
        folder = self.location.path / FOLDER
        final = folder / sha256
        if final.exists():
            return ArchivedFile(sha256, str(final), _mtime(final), created=False)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temp = folder / f".tmp-{sha256[:16]}-{uuid.uuid4().hex}"
            try:
                with temp.open("wb") as writer:
                    if data is None:
                        _copy_hashed(source, writer, sha256)
                    else:
                        writer.write(data)
                    writer.flush()
                    if received is not None:
                        stamp = _ns(received)
                        os.utime(writer.fileno(), ns=(stamp, stamp))
                    os.fsync(writer.fileno())
                os.replace(temp, final)
            finally:
                temp.unlink(missing_ok=True)
            _fsync_dir(folder)
        except OSError as exc:
            raise StoreError(
                f"cannot archive {source.name}: {exc.strerror}",
                reference="store-not-writable",
                location=str(folder),
            ) from None
        return ArchivedFile(sha256, str(final), _mtime(final), created=True)

    def _put_remote(self, source: Path, sha256: str, data: bytes | None) -> ArchivedFile:
        root, options = self.location.root, self.location.storage_options
        found, written = delta.object_info(root, options, _key(sha256))
        if found:
            return ArchivedFile(sha256, self.path_of(sha256), written or _now(), created=False)
        if data is None:
            data = source.read_bytes()
            _check_hash(source, sha256, hashlib.sha256(data).hexdigest())
        delta.put_object(root, options, _key(sha256), _chunks(data))
        return ArchivedFile(sha256, self.path_of(sha256), _now(), created=True)


def _copy_hashed(source: Path, writer: BinaryIO, sha256: str) -> None:
    """Copy ``source`` to ``writer``, checking that its bytes still hash to ``sha256``."""
    digest = hashlib.sha256()
    with source.open("rb") as reader:
        for chunk in iter(lambda: reader.read(CHUNK), b""):
            digest.update(chunk)
            writer.write(chunk)
    _check_hash(source, sha256, digest.hexdigest())


def _chunks(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), 8 * CHUNK):
        yield bytes(view[start : start + 8 * CHUNK])


def _key(sha256: str) -> str:
    return f"{FOLDER}/{sha256}"


def _check_hash(source: Path, expected: str, found: str) -> None:
    if found != expected:
        raise StoreError(
            "the file changed while it was being ingested",
            reference="file-changed",
            location=str(source),
            hint="Wait until the file is completely written, then ingest it again.",
        )


def _now() -> datetime:
    return datetime.now(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _mtime(path: Path) -> datetime:
    """A file's modification time, to the microsecond (exactly, with integer arithmetic)."""
    return _EPOCH + path.stat().st_mtime_ns // 1000 * _MICROSECOND


def _ns(moment: datetime) -> int:
    """``moment`` as nanoseconds since the epoch, exactly (:func:`_mtime` reads it back)."""
    return (moment - _EPOCH) // _MICROSECOND * 1000


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
