"""The qsync command line. Importing this package registers every command on ``app``."""

from qsync.cli import score, store, submissions, trace
from qsync.cli.app import app, main

__all__ = ["app", "main", "score", "store", "submissions", "trace"]
