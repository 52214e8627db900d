"""The sandbox imitates Omneo on its own: it imports nothing of the tool.

A rule shared by the tool and the sandbox would let one bug pass every test on both sides, so each
has its own implementation of ``docs/validation-rules.md`` (see ``docs/sandbox.md``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import reconcile.sandbox

SANDBOX = Path(reconcile.sandbox.__file__).parent


def _foreign_imports(path: Path, root: Path = SANDBOX) -> list[str]:
    """``file:line module`` for each import of a ``reconcile`` module outside the sandbox."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
            if node.module == "reconcile":  # `from reconcile import normalize`
                modules = [f"reconcile.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom):  # relative: `..x` leaves the sandbox package
            depth = len(path.relative_to(root).parts)
            modules = ["reconcile.<relative>"] if node.level > depth else []
        else:
            continue
        found += [
            f"{path.relative_to(root)}:{node.lineno} {name}"
            for name in modules
            if (name == "reconcile" or name.startswith("reconcile."))
            and not (name == "reconcile.sandbox" or name.startswith("reconcile.sandbox."))
        ]
    return found


def test_the_sandbox_imports_nothing_of_the_tool() -> None:
    modules = sorted(SANDBOX.rglob("*.py"))
    assert len(modules) > 20  # the walk found the package
    assert [hit for path in modules for hit in _foreign_imports(path)] == []


def test_the_check_sees_every_spelling_of_a_tool_import(tmp_path: Path) -> None:
    probe = tmp_path / "_probe_for_test.py"
    probe.write_text(
        "import reconcile.model\n"
        "from reconcile import normalize\n"
        "from reconcile.plan import x\n"
        "from .. import errors\n"
        "from reconcile.sandbox import values\n"
        "from . import store\n",
        encoding="utf-8",
    )
    assert _foreign_imports(probe, root=tmp_path) == [
        "_probe_for_test.py:1 reconcile.model",
        "_probe_for_test.py:2 reconcile.normalize",
        "_probe_for_test.py:3 reconcile.plan",
        "_probe_for_test.py:4 reconcile.<relative>",
    ]
