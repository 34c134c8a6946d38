"""Keeping a frame's columns cut into the same chunks.

The CSV parser returns each column in several chunks (one per parsing task). A column added
in one piece (the row numbers, a column the slow pass rewrote) leaves the frame's chunks out
of line, and Polars then copies every column into one piece on each query over the frame.
Cutting the new column the way the others are cut costs nothing: the pieces are views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def chunked_like(series: pl.Series, reference: pl.Series) -> pl.Series:
    """``series`` cut into chunks of the lengths ``reference`` has (same values, same name)."""
    import polars as pl

    lengths = reference.chunk_lengths()
    if len(series) != len(reference) or series.chunk_lengths() == lengths:
        return series
    whole = series.rechunk() if series.n_chunks() > 1 else series
    pieces, offset = [], 0
    for length in lengths:
        pieces.append(whole.slice(offset, length))
        offset += length
    return pl.concat(pieces, rechunk=False) if pieces else series
