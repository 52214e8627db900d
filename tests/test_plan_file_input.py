"""A plan file is input like any other: every malformed or hostile file is one line, ``not a plan
file: ...``, from ``show``, from ``apply`` and from the library, quickly and in bounded memory."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.errors import PlanError, ReconcileError
from reconcile.plan.cost import ApplyCost
from reconcile.plan.diff import FieldChange
from reconcile.plan.options import PlanOptions
from reconcile.plan.reading import MAX_DEPTH, MAX_PLAN_BYTES
from reconcile.plan.value import Change, Plan
from reconcile.report.render import FORMATS, render
from tests.conftest import Project

Edit = Callable[[str], str]


def _saved(path: Path) -> Path:
    """A plan as ``reconcile plan`` saves it: a change, a cost, every field."""
    change = Change(
        action="update",
        key="ann",
        profile_id="p1",
        fingerprint="f" * 16,
        fields=(FieldChange(field="tags", path="tags", before=["a"], after=["a", "b"]),),
    )
    cost = ApplyCost(requests=7, rps=10.0, engine="per-profile", one_by_one=7)
    Plan(
        options=PlanOptions(tenant="http://t/api/v3", tenant_name="local"),
        inputs_digest="d" * 64,
        changes=(change,),
        managed=1,
        cost=cost,
    ).save(path)
    return path


def _json_edit(edit: Callable[[dict[str, Any]], None]) -> Edit:
    def apply(text: str) -> str:
        data = json.loads(text)
        edit(data)
        return json.dumps(data, indent=2)

    return apply


def _set(path: tuple[str, ...], raw: str) -> Edit:
    """Put ``raw`` JSON text (a number too long for Python to write, say) at ``path``."""

    def run(text: str) -> str:
        whole = json.loads(text)
        target = whole
        *parents, last = path
        for name in parents:
            target = target[name]
        target[last] = "@@@"
        return json.dumps(whole, indent=2).replace('"@@@"', raw)

    return run


PROBES: dict[str, tuple[Edit, str]] = {
    "100000-deep-array": (lambda _: "[" * 100_000 + "]" * 100_000, "nested deeper than 256"),
    "100000-deep-object": (lambda _: '{"a":' * 100_000 + "1" + "}" * 100_000, "nested deeper"),
    "5000-digit-format-version": (_set(("format_version",), "9" * 5_000), "5,000 characters"),
    "format-version-2": (_set(("format_version",), "2"), "format_version is 2; expected 1"),
    "format-version-true": (_set(("format_version",), "true"), "format_version is True"),
    "rps-0": (_set(("cost", "rps"), "0"), "'cost.rps': Input should be greater than or equal"),
    "rps-huge": (_set(("cost", "rps"), "1e300"), "'cost.rps': Input should be less than"),
    "rps-1e999": (_set(("cost", "rps"), "1e999"), "the number 1e999 is too large"),
    "requests-10-400": (_set(("cost", "requests"), "1" + "0" * 400), "'cost.requests': Input"),
    "requests-10-5000": (_set(("cost", "requests"), "1" + "0" * 5_000), "5,001 characters"),
    "requests-10-30": (_set(("cost", "requests"), "1" + "0" * 30), "'cost.requests': Input"),
    "managed-negative": (_set(("managed",), "-1"), "'managed': Input should be greater"),
    "nan": (_set(("threshold",), "NaN"), "NaN is not a number JSON allows"),
    "infinity": (_set(("managed",), "-Infinity"), "-Infinity is not a number JSON allows"),
    "duplicate-key": (
        lambda text: text.replace('"managed": 1,', '"managed": 1,\n  "managed": 1,'),
        "the key 'managed' appears twice in one object",
    ),
    "duplicate-nested-key": (
        lambda text: text.replace('"action": "update",', '"action": "update", "action": "delete",'),
        "the key 'action' appears twice",
    ),
    "string-for-number": (_set(("managed",), '"1"'), "'managed' is not as reconcile writes it"),
    "unknown-field": (_json_edit(lambda d: d.update(approved=True)), "'approved' is not as"),
    "lone-surrogate": (_set(("inputs_digest",), '"\\ud800"'), "not Unicode (a lone surrogate)"),
    "not-json": (lambda text: text[:-20], "not JSON ("),
    "not-an-object": (lambda _: "[1, 2]", "a JSON list, not an object"),
    "not-utf-8": (lambda text: text.replace("ann", "\udcff"), "not UTF-8 text"),
    "changes-not-a-list": (_set(("changes",), '{"a": 1}'), "'changes': Input should be"),
    "shard-5000-digits": (
        _set(("selectors",), json.dumps({"target": [], "exclude": [], "shard": "9" * 5000 + "/1"})),
        "'selectors.shard'",
    ),
}


def _probe(tmp_path: Path, name: str) -> Path:
    edit, _ = PROBES[name]
    original = _saved(tmp_path / "original.json").read_text(encoding="utf-8")
    probe = tmp_path / f"{name}.json"
    probe.write_bytes(edit(original).encode("utf-8", errors="surrogateescape"))
    return probe


@pytest.mark.parametrize("name", sorted(PROBES))
def test_the_library_refuses_each_probe_with_one_line(tmp_path: Path, name: str) -> None:
    probe = _probe(tmp_path, name)
    with pytest.raises(PlanError) as refused:
        Plan.load(probe)
    message = str(refused.value)
    assert message.startswith(f"not a plan file: {probe}: ")
    assert PROBES[name][1] in message
    assert "\n" not in message and len(message) < 300


CLI_PROBES = ["100000-deep-array", "5000-digit-format-version", "rps-0", "requests-10-400",
              "duplicate-key", "lone-surrogate", "unknown-field"]  # fmt: skip


@pytest.mark.parametrize("name", CLI_PROBES)
@pytest.mark.parametrize("command", ["show", "apply"])
def test_show_and_apply_refuse_each_probe_with_one_line(
    project: Project, name: str, command: str
) -> None:
    probe = _probe(project.root, name)
    result = project.cli(command, str(probe))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == f"error: not a plan file: {probe}: {_reason(result.stderr)}\n"
    assert PROBES[name][1] in result.stderr


def _reason(stderr: str) -> str:
    return stderr.strip().split(": ", 3)[-1]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("command", ["show", "apply"])
def test_a_device_a_pipe_and_a_huge_file_are_refused_before_being_read(
    project: Project, tmp_path: Path, command: str
) -> None:
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.json"
    with huge.open("wb") as sparse:  # no disk used: a hole of the limit and a byte
        sparse.truncate(MAX_PLAN_BYTES + 1)
    cases = {
        Path("/dev/zero"): "not a regular file",
        fifo: "not a regular file",
        huge: f"{MAX_PLAN_BYTES + 1:,} bytes, over the limit of 256 MiB",
    }
    for path, reason in cases.items():
        started = time.perf_counter()
        result = project.cli(command, str(path))
        assert time.perf_counter() - started < 5
        assert result.exit_code == 1
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.stderr.startswith(f"error: not a plan file: {path}: {reason}")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_reading_dev_zero_costs_no_memory() -> None:
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(PlanError, match="not a regular file"):
        Plan.load(Path("/dev/zero"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000


def test_a_saved_plan_still_loads_and_its_checksum_covers_its_canonical_bytes(
    tmp_path: Path,
) -> None:
    path = _saved(tmp_path / "plan.json")
    plan = Plan.load(path)
    reformatted = tmp_path / "reformatted.json"
    reformatted.write_text(json.dumps(json.loads(path.read_text()), indent=None))
    assert Plan.load(reformatted) == plan  # layout is not content
    edited = tmp_path / "edited.json"
    edited.write_text(path.read_text().replace('"managed": 1', '"managed": 2'))
    with pytest.raises(PlanError, match="checksum mismatch"):
        Plan.load(edited)


def test_a_plan_holding_the_longest_number_python_writes_loads(tmp_path: Path) -> None:
    number = 10 ** (sys.int_info.default_max_str_digits - 1)  # a value declared in profiles.d/
    change = Change(
        action="create",
        key="ann",
        fields=(FieldChange(field="custom_attributes.n.h", path="x", before=None, after=number),),
    )
    path = tmp_path / "long.json"
    Plan(options=PlanOptions(tenant="t"), inputs_digest="d", changes=(change,)).save(path)
    assert Plan.load(path).changes[0].fields[0].after == number


@pytest.mark.parametrize("levels", [32, 250], ids=["declared", "deepest-saved"])
def test_the_depth_limit_leaves_room_for_the_deepest_value_a_plan_saves(
    tmp_path: Path, levels: int
) -> None:
    deep: Any = "leaf"
    for _ in range(levels):  # the YAML reader's limit; the deepest value pydantic writes
        deep = {"a": deep}
    change = Change(
        action="update",
        key="ann",
        profile_id="p",
        fingerprint="f",
        fields=(FieldChange(field="custom_attributes.n.h", path="x", before=None, after=deep),),
    )
    path = tmp_path / "deep.json"
    Plan(options=PlanOptions(tenant="t"), inputs_digest="d", changes=(change,)).save(path)
    assert Plan.load(path).changes[0].fields[0].after == deep


@pytest.mark.parametrize("levels", range(MAX_DEPTH - 8, MAX_DEPTH + 2))
def test_variables_nested_near_the_limit_load_or_are_refused_in_one_line(
    tmp_path: Path, levels: int
) -> None:
    data = json.loads(_saved(tmp_path / "base.json").read_text())
    deep: Any = 1
    for _ in range(levels - 2):  # the plan's object and the variables' object are two levels
        deep = [deep]
    data["variables"] = {"v": deep}
    data["checksum"] = _checksum_of(data)
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        assert Plan.load(path).options.variables == {"v": deep}
    except PlanError as refused:
        assert str(refused).startswith(f"not a plan file: {path}: ")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(value, dict):
        for name, item in value.items():
            found += _paths(item, (*here, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*here, index))
    return found


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_edit_of_a_plan_is_a_plan_error_or_a_plan_every_report_renders(
    tmp_path: Path, data: st.DataObject
) -> None:
    """Hypothesis puts any JSON value at any place of a saved plan, its checksum recomputed so
    that the edit reaches the checks behind it."""
    original = json.loads(_saved(tmp_path / "base.json").read_text())
    paths = [p for p in _paths(original) if p]
    where = data.draw(st.sampled_from(paths))
    value = data.draw(JSON_VALUES)
    target = original
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    original["checksum"] = _checksum_of(original)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(original), encoding="utf-8")
    try:
        plan = Plan.load(path)
    except PlanError as refused:
        assert "\n" not in str(refused)
        return
    for fmt in FORMATS:
        render(plan, fmt)  # type: ignore[arg-type]


def _checksum_of(data: dict[str, Any]) -> str:
    import hashlib

    from reconcile.plan.reading import canonical

    try:
        return hashlib.sha256(canonical(data)).hexdigest()
    except UnicodeEncodeError:
        return ""


def test_the_deep_probes_are_deeper_than_python_recurses() -> None:
    assert issubclass(PlanError, ReconcileError)
    assert sys.getrecursionlimit() < 100_000
