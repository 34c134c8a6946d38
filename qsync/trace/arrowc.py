"""The values of a fixed-width column as an ``array``, read through the Arrow C stream interface.

A Polars ``Series`` exports itself with ``__arrow_c_stream__`` (the Arrow PyCapsule
interface): each chunk is a C ``ArrowArray`` whose buffer 1 holds the values, in native byte
order. Copying that buffer with :mod:`ctypes` costs about 1 ms per million int64 values, where
``array(typecode, series.to_list())`` costs about 35 ms, and needs neither numpy nor pyarrow.
(arro3-core, which deltalake brings, reads these capsules too, but its ``Array.buffer()``
panics with "not yet implemented" for every type but int64 in version 0.9.1.)

Only the types of :data:`FORMATS` are read, and only without nulls: anything else is a
``ValueError``, never a misread. Standard library only (Polars hands us the capsule).
"""

from __future__ import annotations

import ctypes
from array import array
from typing import Any

FORMATS = {"b": b"c", "h": b"s", "i": b"i", "q": b"l", "d": b"g"}
"""Arrow format string of each ``array`` typecode read: int8, int16, int32, int64, float64."""


class _Schema(ctypes.Structure):
    pass


class _Array(ctypes.Structure):
    pass


class _Stream(ctypes.Structure):
    pass


# The struct layouts of the Arrow C data and stream interfaces (arrow/c/abi.h).
_Schema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.c_void_p),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(_Schema))),
    ("private_data", ctypes.c_void_p),
]
_Array._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.c_void_p),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(_Array))),
    ("private_data", ctypes.c_void_p),
]
_Stream._fields_ = [
    (
        "get_schema",
        ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_Stream), ctypes.POINTER(_Schema)),
    ),
    ("get_next", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_Stream), ctypes.POINTER(_Array))),
    ("get_last_error", ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.POINTER(_Stream))),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(_Stream))),
    ("private_data", ctypes.c_void_p),
]
# A private prototype, so that the shared ``ctypes.pythonapi`` attribute is left untouched.
_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi)
)


def _check(status: int, stream: _Stream) -> None:
    if status != 0:
        error = stream.get_last_error(ctypes.byref(stream))
        raise ValueError(f"Arrow stream error {status}: {(error or b'').decode(errors='replace')}")


def _format(stream: _Stream) -> bytes:
    schema = _Schema()
    _check(stream.get_schema(ctypes.byref(stream), ctypes.byref(schema)), stream)
    try:
        return bytes(schema.format or b"")
    finally:
        schema.release(ctypes.byref(schema))


def _append(out: array[Any], chunk: _Array) -> None:
    """Copy the values of one chunk (a primitive array without nulls) onto ``out``."""
    if chunk.n_buffers != 2 or chunk.null_count != 0:
        raise ValueError("only primitive columns without nulls can be read")
    if chunk.length > 0:
        start = chunk.buffers[1] + chunk.offset * out.itemsize
        out.frombytes(ctypes.string_at(start, chunk.length * out.itemsize))


def to_array(column: Any, typecode: str) -> array[Any]:
    """The values of ``column`` (an object with ``__arrow_c_stream__``, e.g. a Polars Series
    of the type :data:`FORMATS` gives for ``typecode``) as an ``array(typecode)``."""
    capsule = column.__arrow_c_stream__()  # owns the stream; releases it when collected
    stream = _Stream.from_address(_capsule_pointer(capsule, b"arrow_array_stream"))
    found = _format(stream)
    if found != FORMATS[typecode]:
        raise ValueError(f"expected Arrow format {FORMATS[typecode]!r}, found {found!r}")
    out = array(typecode)
    while True:
        chunk = _Array()
        _check(stream.get_next(ctypes.byref(stream), ctypes.byref(chunk)), stream)
        if not chunk.release:  # the end of the stream
            return out
        try:
            _append(out, chunk)
        finally:
            chunk.release(ctypes.byref(chunk))
