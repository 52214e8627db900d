"""Bad and hostile input: any bytes as a profiles.d file give a valid profile or a clean error
(never a traceback), normalisation is idempotent, templates cannot reach files, the environment,
imports or Python internals, and YAML bombs, deep nesting and huge files are refused within
bounded memory and time.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.errors import ProfileError
from reconcile.model.normalize import (
    InvalidValue,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_tag,
    normalize_timestamp,
)
from reconcile.profiles.loader import load_profiles
from tests.conftest import Project

FIELDS = [
    "key",
    "email",
    "first_name",
    "last_name",
    "mobile_phone",
    "birth_day",
    "birth_month",
    "birth_year",
    "tags",
    "identities",
    "state",
    "attributes",
    "custom_attributes",
    "profiles",
    "gender",
    "addresses",
    "erasure_reference",
    "title",
]
SCALARS = st.one_of(
    st.text(max_size=30),
    st.integers(-(10**20), 10**20),
    st.sampled_from(
        [
            "null",
            "~",
            "yes",
            "NO",
            "0x1F",
            "1e400",
            ".nan",
            "'",
            '"',
            "&a",
            "*a",
            "!!python/object:os.system",
            "<<: *a",
            "- x",
            "{",
            "[",
            "@",
            "`",
        ]
    ),
)


@st.composite
def yamlish(draw: Callable[..., Any]) -> bytes:
    """Text that looks like a profiles.d file, to get past the parser into the model."""
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 4]))
        dash = draw(st.sampled_from(["", "", "- "]))
        field = draw(st.sampled_from(FIELDS))
        value = draw(SCALARS)
        lines.append(f"{indent}{dash}{field}: {value}")
    return "\n".join(lines).encode("utf-8", "surrogatepass")


ANY_FILE = st.one_of(st.binary(max_size=400), yamlish())


def load_one(content: bytes, name: str = "hostile.yaml") -> str:
    """Load a tree of one file; 'valid' or the error text. Any other exception fails the test."""
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / name).write_bytes(content)
        try:
            declared = load_profiles(Path(root), phone_region="AU")
        except ProfileError as exc:
            assert exc.problems, "an error must say what is wrong"
            assert all(p.file.endswith(name) for p in exc.problems), str(exc)
            return str(exc)
    assert all(p.key for p in declared.profiles)
    return "valid"


def _loads_cleanly(content: bytes) -> None:
    load_one(content)


QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=4000, deadline=None, suppress_health_check=list(HealthCheck))


@QUICK
@given(ANY_FILE)
def test_any_bytes_load_as_a_profile_or_a_clean_error(content: bytes) -> None:
    _loads_cleanly(content)


@pytest.mark.slow
def test_any_bytes_load_cleanly_thoroughly(summary: dict[str, Any]) -> None:
    outcomes: list[str] = []

    @THOROUGH
    @given(ANY_FILE)
    def run(content: bytes) -> None:
        outcomes.append(load_one(content))

    run()
    valid = outcomes.count("valid")
    summary.update(
        name="hostile_files",
        loader_examples=len(outcomes),
        loader_valid=valid,
        loader_clean_errors=len(outcomes) - valid,
        loader_tracebacks=0,
    )


def validate_cli(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as root:
        project = Project(Path(root))
        project.profiles.mkdir()
        (project.profiles / "hostile.yaml").write_bytes(content)
        result = project.cli("validate")
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert result.stderr.startswith("error: ") and "hostile.yaml" in result.stderr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_FILE)
def test_validate_answers_any_file_without_a_traceback(content: bytes) -> None:
    validate_cli(content)


@pytest.mark.slow
def test_validate_answers_any_file_without_a_traceback_thoroughly(
    summary: dict[str, Any],
) -> None:
    seen: list[bytes] = []

    @settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
    @given(ANY_FILE)
    def run(content: bytes) -> None:
        validate_cli(content)
        seen.append(content)

    run()
    summary.update(name="hostile_files", cli_validate_examples=len(seen), cli_tracebacks=0)


# -- normalisation is idempotent --------------------------------------------------------------


def idempotent(normalize: Callable[[Any], str], value: Any) -> None:
    try:
        once = normalize(value)
    except InvalidValue:
        return
    assert normalize(once) == once


@QUICK
@given(st.emails(), st.sampled_from(["", "  ", "\t"]), st.booleans())
def test_email_normalisation_is_idempotent(email: str, pad: str, upper: bool) -> None:
    idempotent(normalize_email, pad + (email.upper() if upper else email) + pad)


@QUICK
@given(st.text(max_size=40))
def test_email_normalisation_of_any_text_is_idempotent_or_refused(text: str) -> None:
    idempotent(normalize_email, text)


@QUICK
@given(
    st.from_regex(r"\A[+(]?[0-9 ()\-.]{4,18}\Z"),
    st.sampled_from(["AU", "GB", "US", "NZ", None]),
)
def test_phone_normalisation_is_idempotent(number: str, region: str | None) -> None:
    idempotent(lambda v: normalize_phone(v, region=region), number)


@QUICK
@given(st.text(max_size=40))
def test_tag_and_name_normalisation_are_idempotent(text: str) -> None:
    idempotent(normalize_tag, text)
    idempotent(normalize_name, text)


@QUICK
@given(
    st.one_of(
        st.datetimes(min_value=datetime(1900, 1, 1)).map(str),
        st.datetimes(),
        st.dates().map(str),
        st.text(max_size=25),
    )
)
def test_timestamp_normalisation_is_idempotent(value: Any) -> None:
    idempotent(normalize_timestamp, value)


# -- templates are sandboxed ----------------------------------------------------------------

HOSTILE_TEMPLATES = {
    "python internals": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "function globals": "{{ cycler.__init__.__globals__.os.environ }}",
    "self internals": "{{ self.__init__.__globals__ }}",
    "attribute by name": "{{ ''|attr('__class__') }}",
    "a file by include": "{% include '/etc/passwd' %}",
    "a module by import": "{% import 'os' as os %}{{ os.environ }}",
    "the environment": "{{ environ['RELIABILITY_SECRET'] }}",
    "format string escape": "{{ '{0.__class__.__init__.__globals__}'.format(cycler) }}",
    "huge range": "{% for i in range(10**9) %}{% endfor %}",
    "huge string": "{{ 'x' * 10**10 }}",
    "huge power": "{{ 2 ** 100000000 }}",
    # The fake-data object and what it returns lead nowhere but to their own plain fields.
    "fake's globals": "{{ fake.person.__globals__['os'].environ }}",
    "fake's function": "{{ fake.person.__func__.__globals__ }}",
    "fake's bound self": "{{ fake.person.__self__._template }}",
    "fake's class": "{{ fake.__class__.__init__.__globals__ }}",
    "fake's private state": "{{ fake._template }}",
    "fake by attr filter": "{{ fake|attr('__init__') }}",
    "fake by format": "{{ '{0.person.__globals__}'.format(fake) }}",
    "a person's class": "{{ fake.person(1).__class__.__init__.__globals__ }}",
    "a person's pickling": "{{ fake.person(1).__reduce_ex__(2) }}",
    "a person by format": "{{ '{0.__class__.__init__.__globals__}'.format(fake.person(1)) }}",
    "a person's field internals": "{{ fake.person(1).address.__dataclass_fields__ }}",
    "a person's unknown field": "{{ fake.person(1).faker }}",
    "a real mail domain": "{{ fake.person(1, domain='gmail.com').email }}",
}


@pytest.mark.parametrize("attempt", sorted(HOSTILE_TEMPLATES))
def test_templates_cannot_reach_outside(project: Project, attempt: str) -> None:
    project.write(
        "evil.yaml.j2",
        f"profiles:\n  - key: a\n    first_name: x\n# {{# #}}\n{HOSTILE_TEMPLATES[attempt]}\n",
    )
    started = time.monotonic()
    tracemalloc.start()
    result = project.cli("validate", env={"RELIABILITY_SECRET": "s3cr3t-value"})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "evil.yaml.j2" in result.stderr and "template" in result.stderr
    assert "s3cr3t-value" not in result.output and "root:" not in result.output
    assert "<class" not in result.output
    assert time.monotonic() - started < 10
    assert peak < 64 * 2**20


# -- bombs, depth, size: bounded memory and time ----------------------------------------------

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + n)}: &{chr(98 + n)} [{','.join(['*' + chr(97 + n)] * 9)}]" for n in range(8)]
    + ["key: bomb", "first_name: *i"]
)


def measured(content: bytes, name: str = "hostile.yaml") -> tuple[str, float, int]:
    """(error text or 'valid', seconds, peak bytes traced) of loading a one-file tree."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        outcome = load_one(content, name)
    finally:
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return outcome, seconds, peak


BOMBS: dict[str, tuple[Callable[[], bytes], str]] = {
    "billion laughs": (lambda: BILLION_LAUGHS.encode(), "alias"),
    "deep nesting": (lambda: b"key: deep\nfirst_name: " + b"[" * 50_000 + b"]" * 50_000, "nest"),
    "deep mapping": (
        lambda: b"key: m\n" + b"".join(b" " * n + b"a:\n" for n in range(400)),
        "nest",
    ),
    "huge file": (lambda: b"# " + b"x" * (64 * 2**20 + 10) + b"\n", "limit"),
    "one huge scalar": (lambda: b"key: big\nfirst_name: " + b"y" * (40 * 2**20) + b"\n", ""),
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_bombs_are_refused_in_bounded_memory_and_time(bomb: str, summary: dict[str, Any]) -> None:
    make, word = BOMBS[bomb]
    content = make()
    outcome, seconds, peak = measured(content)
    figures = {"bytes": len(content), "seconds": round(seconds, 2), "peak_mib": peak // 2**20}
    summary.update(name="hostile_yaml", **{bomb: figures})
    assert outcome != "valid" or bomb == "one huge scalar"
    assert word in outcome.lower() if word else True
    assert seconds < 15, f"{bomb}: {seconds:.1f}s"
    assert peak < 8 * len(content) + 64 * 2**20, f"{bomb}: peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"profiles:\nprofiles:\n-", "hostile.yaml:2: profiles: 'profiles' appears twice"),
        (b"<<: {profiles: [{key: a}]}\n", "hostile.yaml:1: profiles: write the list of profiles"),
    ],
)
def test_a_profiles_list_written_twice_or_merged_in_is_a_clean_error(
    content: bytes, expected: str
) -> None:
    assert expected in load_one(content)  # found by the thorough run: a traceback before
