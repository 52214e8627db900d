"""Whatever bytes a file holds, loading it ends in profiles or in a ProfileError: never a crash."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.errors import ProfileError
from reconcile.profiles.loader import Limits, load_profiles

_YAMLISH = st.text(
    alphabet=st.sampled_from(list("[]{}:,-&*!|>'\"\n \t#%@?<=~.0123456789abcekmnpsty_")),
    max_size=200,
)
_FIELDS = st.sampled_from(
    ["email", "first_name", "tags", "identities", "attributes", "comms", "birth_day", "key",
     "state", "profiles", "custom_attributes", "addresses", "<<", "erasure"]
)  # fmt: skip
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_FIELDS, inner, max_size=3),
    max_leaves=12,
)


def _load_text(content: bytes, suffix: str = ".yaml") -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "profiles.d"
        root.mkdir()
        (root / f"fuzz{suffix}").write_bytes(content)
        try:
            load_profiles(root, phone_region="AU", limits=Limits(max_file_bytes=10_000))
        except ProfileError as error:
            assert error.problems
            assert all(problem.file.startswith("profiles.d/fuzz") for problem in error.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_loader(content: bytes) -> None:
    _load_text(content)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_YAMLISH)
def test_yaml_punctuation_soup_never_crashes_the_loader(text: str) -> None:
    _load_text(text.encode())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_FIELDS, _VALUES, max_size=5))
def test_arbitrary_field_structures_never_crash_the_loader(document: dict[str, object]) -> None:
    _load_text(json.dumps(document).encode())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("{}%#()[]|~'\" \nabc.-+*=_0123456789")), max_size=80))
def test_template_soup_never_crashes_the_loader(text: str) -> None:
    _load_text(text.encode(), suffix=".yaml.j2")


# Plain scalars built from the characters YAML 1.1 and 1.2 resolve numbers and booleans from.
_PLAIN = st.one_of(
    st.from_regex(r"[-+]?(0[0-9_]*|[1-9][0-9_]*|0[xob][0-9a-fA-F_]+)", fullmatch=True),
    st.from_regex(r"[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?", fullmatch=True),
    st.from_regex(r"[-+]?[0-9]+([eE][-+]?[0-9]+)", fullmatch=True),
    st.from_regex(r"[-+]?[0-9]{1,3}(:[0-5]?[0-9]){1,2}(\.[0-9]*)?", fullmatch=True),
    st.from_regex(r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN)", fullmatch=True),
    st.sampled_from(["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off",
                     "OFF", "true", "True", "TRUE", "false", "False", "FALSE", "y", "n", "~",
                     "null", "Null", "NULL"]),
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_PLAIN)
def test_a_plain_value_is_kept_only_as_json_and_yaml_1_1_both_read_it(text: str) -> None:
    """Oracles independent of the reader: PyYAML reads YAML 1.1, JSON and ruamel.yaml read
    YAML 1.2. A value reconcile keeps means what both say; one they disagree on, or that is not
    finite, is refused at its line."""
    import math

    import yaml

    kept = _custom_value(text)
    try:
        as_yaml11 = yaml.safe_load(f"v: {text}")["v"]
    except ValueError:  # 0x_ resolves as a number that PyYAML cannot build
        assert kept[0] == "refused", text
        return
    as_yaml12 = _yaml12(text)
    if as_yaml12 is _UNKNOWN:
        return
    agree = type(as_yaml12) is type(as_yaml11) and as_yaml12 == as_yaml11
    finite = not isinstance(as_yaml12, float) or math.isfinite(as_yaml12)
    if agree and finite:
        assert kept == ("value", as_yaml12), text
    else:
        assert kept[0] == "refused", text


_UNKNOWN = object()


def _yaml12(text: str) -> object:
    """How YAML 1.2 reads ``text``, from independent readers: JSON (a subset of YAML 1.2), else
    ruamel.yaml in YAML 1.2 mode where it follows the core schema: not for floats (it reads
    ``.0E0`` as text), nor ``1_000``, ``0b11`` and a signed ``-0x1F``, which it reads as numbers
    and the core schema does not. ``_UNKNOWN`` when neither can say."""
    from ruamel.yaml import YAML

    try:
        return json.loads(text)
    except ValueError:
        pass
    unsigned = text.lower().lstrip("+-")
    signed_base = unsigned != text.lower() and unsigned.startswith(("0x", "0o"))
    floating = "." in text or ("e" in unsigned and not unsigned.startswith("0x"))
    if "_" in text or unsigned.startswith("0b") or signed_base or floating or text == "=":
        return _UNKNOWN
    reader = YAML(typ="safe", pure=True)
    reader.version = (1, 2)
    value = reader.load(f"v: {text}")["v"]
    return value if isinstance(value, str | int | float | bool | None) else _UNKNOWN


def _custom_value(text: str) -> tuple[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "profiles.d"
        root.mkdir()
        (root / "ann.yaml").write_text(f"custom_attributes:\n  x:\n    v: {text}\n")
        try:
            declared = load_profiles(root, phone_region="AU")
        except ProfileError as error:
            assert all(p.line == 3 for p in error.problems), error
            return "refused", str(error)
        view = declared.profiles[0].flat_view()
        return "value", view.get("custom_attributes.x.v")
