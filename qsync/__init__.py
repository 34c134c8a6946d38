"""qsync."""
