"""Docs that cannot drift: each package's docstring names each of its modules, and what a
docstring or comment points at (a module, a class, a file) exists.

Every package under ``reconcile/`` is found by walking the folders, so a package or module added
later is held to the same rule without touching this test.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "reconcile"
PACKAGES = sorted(init.parent for init in PACKAGE.rglob("__init__.py") if init.parent != PACKAGE)
# A Sphinx role pointing into the tool: :mod:`reconcile.x`, :class:`~reconcile.x.Y`, ...
ROLE = re.compile(r":(?:mod|class|func|meth|data|exc|attr|obj):`~?(reconcile(?:\.\w+)+)`")
# A file named in a docstring or comment: profiles/parallel.py, docs/ci.md, ``wire.py``.
FILE = re.compile(r"(?<![\w/.-])((?:[\w-]+/)*[\w-]+\.(?:py|md))(?![\w-]|\.\w)")


def docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def members(package: Path) -> list[str]:
    """The modules and sub-packages of ``package``."""
    modules = {path.stem for path in package.glob("*.py") if path.stem != "__init__"}
    packages = {path.name for path in package.iterdir() if (path / "__init__.py").exists()}
    return sorted(modules | packages)


def named(name: str, text: str) -> bool:
    """Whether ``text`` names ``name`` as a literal (``name``, ``name.py``, ``name.thing``) or a
    module role (:mod:`...name`)."""
    literal = rf"``{re.escape(name)}(?:\.py|\.\w+)*``"
    role = rf":mod:`~?[\w.]*\b{re.escape(name)}`"
    return re.search(f"{literal}|{role}", text) is not None


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_each_package_docstring_names_each_of_its_modules(package: Path) -> None:
    text = docstring(package / "__init__.py")
    missing = [name for name in members(package) if not named(name, text)]
    assert not missing, f"{package.relative_to(REPO)}/__init__.py does not name {missing}"


def test_the_development_page_names_each_top_level_module_and_package() -> None:
    page = (REPO / "docs" / "development.md").read_text(encoding="utf-8")
    top = [f"{name}.py" for name in members(PACKAGE) if (PACKAGE / f"{name}.py").exists()]
    top += [f"{name}/" for name in members(PACKAGE) if (PACKAGE / name).is_dir()]
    missing = [name for name in top if f"`{name}`" not in page and name != "__main__.py"]
    assert not missing, f"docs/development.md's layout table does not name {missing}"


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def resolves(target: str) -> bool:
    """Whether a dotted name is a module, or an attribute of the longest module it starts with."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def test_every_role_in_a_docstring_points_at_something_that_exists() -> None:
    broken = [
        f"{path.relative_to(REPO)}: {target}"
        for path in sources()
        for target in ROLE.findall(path.read_text(encoding="utf-8"))
        if not resolves(target)
    ]
    assert not broken, "\n".join(broken)


def exists(name: str, here: Path) -> bool:
    """A file named in ``here``: from ``here``'s folder or any folder above it up to the
    repository, or from docs/."""
    bases = [*here.parents[: len(here.relative_to(REPO).parts)], REPO / "docs"]
    return any((base / name).exists() for base in bases) or name.startswith(".reconcile/")


def test_every_file_a_module_names_exists() -> None:
    broken = [
        f"{path.relative_to(REPO)}: {name}"
        for path in sources()
        for name in FILE.findall(path.read_text(encoding="utf-8"))
        if not exists(name, path)
    ]
    assert not broken, "\n".join(broken)
