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
