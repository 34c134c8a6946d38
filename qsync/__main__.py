"""Allow ``python -m qsync``."""

from qsync.cli import main

main()
