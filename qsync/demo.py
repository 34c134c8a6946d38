"""``qsync demo``: a guided tour on the bundled sample data, in a throw-away workspace.

Each step calls the same library functions as the real commands and prints what a newcomer
should look at. Later features add their steps here.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from qsync import console as out
from qsync.config import init_workspace
from qsync.feedback import hand_back
from qsync.i18n import Catalogue
from qsync.resources import sample_data_dir
from qsync.spec import load_specs
from qsync.submission import CheckOptions, expand_paths, validate_paths


def run_demo(screen: Console, keep: Path | None = None, lang: str | None = None) -> Path:
    """Build a demo workspace (in ``keep`` or a temp folder), validate the sample files."""
    root = keep or Path(tempfile.mkdtemp(prefix="qsync-demo-"))
    workspace = init_workspace(root)
    catalogue = Catalogue.load(workspace.templates_dir, lang or workspace.settings.lang)
    inbox = workspace.folder("inbox")
    for folder in ("csv", "xlsx", "pdf"):
        for sample in sorted((sample_data_dir() / folder).iterdir()):
            shutil.copy2(sample, inbox / sample.name)
    screen.print(Rule(catalogue.ui("demo-step-validate")))
    screen.print(catalogue.ui("demo-workspace", path=root))
    specs = load_specs(workspace.rules_dir)
    files = expand_paths([inbox])
    checks = validate_paths(files, specs, CheckOptions(max_bytes=workspace.max_bytes))
    for check in checks:
        check.result.file = str(check.path.relative_to(root))
        catalogue.fill_result(check.result, check.spec)
    out.print_report(screen, checks, catalogue)
    screen.print(Rule(catalogue.ui("demo-step-annotate")))
    feedback = root / "feedback"
    for check in checks:
        for line in hand_back(check, workspace, catalogue, annotate_dir=feedback, email=True):
            screen.print(line, markup=False, highlight=False)
    screen.print(catalogue.ui("demo-next", path=root))
    return root
