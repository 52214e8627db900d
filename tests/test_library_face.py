"""The library's face: nothing in it applies a plan without the gate, the CLI imports only it,
and every command of the CLI is a method of ``Project`` (and ``AsyncProject``)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from types import ModuleType

import pydantic
import pytest
import typer

import reconcile
from reconcile.apply.gate import ProjectPolicy
from reconcile.apply.session import ApplyOptions
from reconcile.cli import app
from tests.conftest import REPO

# Names that carried out a plan without the tenant check, the guards, the lock or the project's
# policy (or that trusted the plan file): none may be importable from any public module.
UNGUARDED = ("carry_out", "apply_plan", "bulk_apply", "apply_teardown", "locked", "verify_plan")
# The public coroutines that take a plan to a tenant: the gate itself (it decides, and writes
# nothing), and the one way to apply, which runs it.
GATED = {"reconcile.apply.gate.admit", "reconcile.apply.session.apply_reviewed"}


def public_modules() -> list[ModuleType]:
    """Every module of the tool whose dotted name has no part starting with ``_``."""
    names = [
        info.name
        for info in pkgutil.walk_packages(reconcile.__path__, "reconcile.")
        if not any(part.startswith("_") for part in info.name.split("."))
        and ".sandbox" not in info.name  # the sandbox imitates Omneo: it applies nothing
    ]
    return [reconcile, *(importlib.import_module(name) for name in names)]


@pytest.mark.parametrize("name", UNGUARDED)
def test_no_public_module_offers_a_way_round_the_gate(name: str) -> None:
    with pytest.raises(ImportError):
        exec(f"from reconcile import {name}", {})
    assert [m.__name__ for m in public_modules() if name in vars(m)] == []


def test_every_public_coroutine_that_takes_a_plan_to_a_tenant_is_the_gated_one() -> None:
    found = set()
    for module in public_modules():
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.iscoroutinefunction(value):
                continue
            parameters = set(inspect.signature(value).parameters)
            if "plan" in parameters and parameters & {"client", "target"}:
                found.add(f"{value.__module__}.{value.__qualname__}")
    assert found == GATED


def test_applying_needs_the_projects_policy_and_never_trusts_the_plans() -> None:
    with pytest.raises(pydantic.ValidationError, match="policy"):
        ApplyOptions()  # type: ignore[call-arg]
    assert not hasattr(ProjectPolicy, "trusting")


# -- the CLI over the face --------------------------------------------------------------------

FACE = {"reconcile", "reconcile.project"}
STAGES = ("apply", "plan", "profiles", "tenant", "model", "report", "export")


def imported(path: str) -> set[str]:
    """The ``reconcile`` modules a file imports (``from reconcile.cli.common import x`` and
    ``from reconcile import x`` alike)."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return {m for m in modules if m == "reconcile" or m.startswith("reconcile.")}


@pytest.mark.parametrize(
    "path", sorted(str(p.relative_to(REPO)) for p in (REPO / "reconcile" / "cli").glob("*.py"))
)
def test_the_cli_imports_only_the_librarys_face(path: str) -> None:
    modules = imported(path)
    stages = sorted(m for m in modules if m.split(".")[1:2] and m.split(".")[1] in STAGES)
    assert stages == []
    if path.endswith("sandbox.py"):  # `sandbox serve` serves the sandbox, not a project
        return
    if path.endswith("watch.py"):  # `watch` runs the agent, which stands on Project itself
        return
    others = sorted(m for m in modules if m not in FACE and not m.startswith("reconcile.cli"))
    assert others == []


# -- every command is a method ----------------------------------------------------------------

METHODS = {
    "reconcile validate": "validate",
    "reconcile schema": "schema",
    "reconcile plan": "plan",
    "reconcile show": "show",
    "reconcile apply": "apply",
    "reconcile export": "export",
    "reconcile teardown": "teardown",
    "reconcile lock status": "lock_status",
    "reconcile lock break": "lock_break",
}
# `sandbox serve` serves the sandbox (reconcile.sandbox); `watch` runs the agent (reconcile.watch)
NOT_A_PROJECT_COMMAND = {"reconcile sandbox serve", "reconcile watch"}
# Options whose parameter is spelled differently, and options that only the terminal needs.
PARAMETER = {
    "fmt": "format", "show_pii": "reveal_pii", "target": "targets", "exclude": "excludes",
    "no_adopt": "adopt", "var": "vars", "vars_file": "vars", "tags": "tag", "plan_file": "plan",
    "auto_approve": "confirm", "plan_files": "plan",
}  # fmt: skip
TERMINAL_ONLY = {"detailed_exitcode", "verbose"}  # an exit code, a longer listing
SHOWN = {"fmt", "show_pii"}  # how the plan is printed: Project.show's options


def cli_commands() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}

    def walk(group: object, path: tuple[str, ...]) -> None:
        for name, command in sorted(getattr(group, "commands", {}).items()):
            if getattr(command, "commands", None):
                walk(command, (*path, name))
            else:
                found[" ".join(("reconcile", *path, name))] = [p.name for p in command.params]

    walk(typer.main.get_command(app), ())
    return found


def test_every_command_has_its_project_method_taking_its_options() -> None:
    commands = cli_commands()
    assert sorted(commands) == sorted({*METHODS, *NOT_A_PROJECT_COMMAND})
    shown = inspect.signature(reconcile.Project.show).parameters
    for command, method in METHODS.items():
        parameters = dict(inspect.signature(getattr(reconcile.Project, method)).parameters)
        if method == "teardown":  # the plan made, then applied (confirmed) like any other
            parameters |= inspect.signature(reconcile.Project.apply).parameters
        missing = [
            option
            for option in commands[command]
            if option not in TERMINAL_ONLY
            and PARAMETER.get(option, option) not in parameters
            and not (option in SHOWN and PARAMETER[option] in shown)
        ]
        assert (command, missing) == (command, [])


@pytest.mark.parametrize("method", sorted({*METHODS.values(), "tenant_names", "tenant_kind"}))
def test_the_async_twin_has_the_same_methods_and_parameters(method: str) -> None:
    sync, aio = getattr(reconcile.Project, method), getattr(reconcile.AsyncProject, method)
    assert inspect.signature(sync).parameters.keys() == inspect.signature(aio).parameters.keys()
    assert inspect.iscoroutinefunction(aio) == (method not in ("tenant_names", "tenant_kind"))
