"""Readers: one module per input format, each turning a supplier file into RawTables."""
