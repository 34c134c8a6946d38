"""The qsync command line. Importing this package registers every command on ``app``."""

from qsync.cli import submissions
from qsync.cli.app import app, main

__all__ = ["app", "main", "submissions"]
