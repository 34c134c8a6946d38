"""The qsync command line. Importing this package registers every command on ``app``."""

from qsync.cli import alerts, report, score, store, submissions, trace
from qsync.cli.app import app, main

__all__ = ["alerts", "app", "main", "report", "score", "store", "submissions", "trace"]
