"""Domain, store, workspace, service, sync, intake and command-line modules never import Textual, so
scripts start fast and the core stays testable without a terminal. Every module in those packages
is imported (found with pkgutil, so new modules are covered without editing this test) in a fresh
interpreter, and `sys.modules` is checked afterwards."""

from __future__ import annotations

import json
import subprocess
import sys

CHECK = r"""
import importlib, json, pkgutil, sys
SKIP = ("oncall.tui", "oncall.cli.console")
packages = ["oncall.domain", "oncall.store", "oncall.workspace", "oncall.service", "oncall.cli", "oncall.sync",
            "oncall.postmortem", "oncall.intake"]
imported = []
for name in packages:
    try:
        package = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name:
            continue  # a package not written yet (oncall.sync)
        raise
    imported.append(name)
    for info in pkgutil.walk_packages(package.__path__, prefix=name + "."):
        if not info.name.startswith(SKIP):
            importlib.import_module(info.name)
            imported.append(info.name)
leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(json.dumps({"imported": imported, "textual": leaked}))
"""


def test_core_modules_do_not_import_textual() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"oncall.domain.rules", "oncall.store.queue", "oncall.workspace.config", "oncall.service.incidents",
            "oncall.cli.incident_cmds", "oncall.cli.postmortem_cmds", "oncall.cli.action_cmds",
            "oncall.postmortem.export"} <= set(report["imported"])
    assert report["textual"] == [], f"Textual imported by: {report['imported']}"


def test_the_check_would_see_textual() -> None:
    # Guard against a check that cannot fail: with Textual imported, it says so.
    leak = CHECK.replace("imported = []", "imported = []\nimport textual")
    result = subprocess.run([sys.executable, "-c", leak], capture_output=True, text=True, timeout=60)
    assert json.loads(result.stdout)["textual"]


def test_starting_the_command_line_or_the_console_does_not_import_pydantic() -> None:
    """Pydantic costs ~90 ms to import: `oncall` (the console) and every command's parser start
    without it, and the console validates the workspace after its first paint."""
    check = ("import sys, oncall.cli, oncall.tui.app; oncall.cli.build_parser(); "
             "print(sorted(m for m in sys.modules if m == 'pydantic' or m.startswith('oncall.domain.people')))")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
