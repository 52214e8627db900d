"""The published package: a distribution name of its own, metadata PyPI shows, and a wheel and
sdist that install and run (``reconcile --help``, a plan against the embedded sandbox).

The default suite builds both archives and runs the CLI from the unpacked wheel with this
environment's dependencies (seconds); the slow test installs them into a fresh virtual
environment from the package index, as a user would (minutes: it downloads every dependency).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

from tests.conftest import REPO

PROFILE = "first_name: Pat\nemail: pat@example.com\n"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
        cwd=REPO, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return out


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("omneo_reconcile-*-py3-none-any.whl")
    return wheel


def _sdist(dist: Path) -> Path:
    (sdist,) = dist.glob("omneo_reconcile-*.tar.gz")
    return sdist


def test_the_wheel_carries_its_own_name_metadata_and_every_runtime_file(dist: Path) -> None:
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        names = set(wheel.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = HeaderParser().parsestr(wheel.read(info).decode())
        entry_points = wheel.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert metadata["Name"] == "omneo-reconcile"  # "reconcile" on PyPI is another project
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "Typing :: Typed" in classifiers and "reconcile/py.typed" in names
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
    requires = " ".join(metadata.get_all("Requires-Dist") or [])
    assert "faker" in requires and "anyascii" in requires and "pytest" in requires  # test extra
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "reconcile = reconcile.cli:run" in entry_points
    assert any(n.endswith("licenses/LICENSE") for n in names)
    templates = {n for n in names if n.startswith("reconcile/report/templates/")}
    assert {Path(n).name for n in templates} >= {"plan.txt.j2", "plan.md.j2", "plan.html.j2"}
    assert not [n for n in names if n.startswith(("tests/", "docs/", ".reconcile"))]


def test_the_sdist_holds_the_sources_tests_and_docs_and_nothing_local(dist: Path) -> None:
    with tarfile.open(_sdist(dist)) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "LICENSE", "reconcile/cli/common.py"} <= names
    assert "tests/test_packaging.py" in names and "docs/profiles.md" in names
    assert not [n for n in names if n.startswith((".venv", ".reconcile", ".git/", "plans/"))]


def test_the_unpacked_wheel_runs_help_and_a_plan_against_the_sandbox(
    dist: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        wheel.extractall(site)
    project = tmp_path / "project"
    (project / "profiles.d").mkdir(parents=True)
    (project / "profiles.d" / "pat.yaml").write_text(PROFILE)
    # The wheel's copy of the package comes first on the path: not this checkout's sources.
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1", "NO_COLOR": "1"}
    run = textwrap.dedent(
        """
        import sys, reconcile
        assert reconcile.__file__.startswith(sys.argv[1]), reconcile.__file__
        sys.argv = ["reconcile", *sys.argv[2:]]
        from reconcile.cli import run
        run()
        """
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", run, str(site), *args],
            cwd=project, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    helped = cli("--help")
    assert helped.returncode == 0 and "plan" in helped.stdout, helped.stderr
    planned = cli("plan")
    assert planned.returncode == 0, planned.stderr
    assert "1 to create" in planned.stdout


@pytest.mark.slow  # about 2-4 minutes: pip downloads and installs every dependency
def test_wheel_and_sdist_install_into_a_fresh_venv_and_run(dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip, command = venv / "bin" / "pip", venv / "bin" / "reconcile"
    project = tmp_path / "project"
    (project / "profiles.d").mkdir(parents=True)
    (project / "profiles.d" / "pat.yaml").write_text(PROFILE)
    env = {k: v for k, v in os.environ.items() if k not in ("OMNEO_URL", "OMNEO_TOKEN")}
    for archive, extra in ((_wheel(dist), []), (_sdist(dist), ["--force-reinstall", "--no-deps"])):
        subprocess.run(
            [str(pip), "install", "-q", *extra, str(archive)],
            check=True, capture_output=True, timeout=1200,
        )  # fmt: skip
        version = subprocess.run([str(command), "--version"], capture_output=True, text=True)
        assert version.stdout.startswith("reconcile 0.1.0 (omneo-reconcile)"), version.stderr
        assert (
            "Usage: reconcile"
            in subprocess.run(
                [str(command), "--help"], capture_output=True, text=True, env=env
            ).stdout
        )
        planned = subprocess.run(
            [str(command), "-C", str(project), "plan"],
            capture_output=True, text=True, env={**env, "NO_COLOR": "1"}, timeout=300,
        )  # fmt: skip
        assert planned.returncode == 0 and "1 to create" in planned.stdout, planned.stderr
