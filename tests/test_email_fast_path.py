"""The plain-address fast path of ``normalize_email`` gives email-validator's verdict, always.

Each address is checked both ways: through ``normalize_email`` (fast path, else email-validator)
and through email-validator alone, as the loader did before the fast path. The outcome (the
normalised value, or the refusal and its message) must be the same for every address. Each test
runs with the fast path and without it (``RECONCILE_NO_FAST_PATHS=1``: the ``fast_paths``
fixture); a sample of the inputs is enough for the second run, where both sides are the library.
"""

from __future__ import annotations

import random
import string

import email_validator
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.errors import InvalidValue
from reconcile.model import normalize
from reconcile.model.normalize import email_reason, normalize_email

_TRICKY = list(string.ascii_letters + string.digits + ".-_+@'!#$%&*/=?^`{|}~\"<>()[]\\,;: \t")
_TRICKY += ["é", "İ", "\u212a", "\u0338", "\uff0e", "\uff20", "\u200b", "\u00ad", "ß", "ﬁ"]
_TRICKY += ["\u0660"]
_LABELS = ["a", "ab", "example", "xn--bcher-kva", "xn--x", "ab--cd", "a-b", "-a", "a-", "1", "123"]
_LABELS += ["localhost", "local", "test", "invalid", "onion", "arpa", "com", "co", "io", "a" * 63]
_LABELS += ["a" * 64, "Example", "ÉCOLE", "b\u00fccher", ""]
_LOCALS = ["jane", "jane.doe", ".jane", "jane.", "ja..ne", "j+tag", '"quoted"', "a" * 64]
_LOCALS += ["a" * 65, "x!#$%&'*+/=?^_`{|}~-", "Jane", "info", "POSTMASTER", "", "é", "a b"]


def _outcome(function: object, value: str) -> tuple[str, str]:
    try:
        return "accepted", function(value)  # type: ignore[operator]
    except InvalidValue as exc:
        return "refused", str(exc)


def _before(value: str) -> str:
    """normalize_email as it was: email-validator for every address."""
    candidate = value.strip().lower()
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        reason = email_reason(exc, candidate)  # the library's reason, without the address
        raise InvalidValue(f"is not a valid email address ({reason})") from None
    return candidate


def _same(value: str) -> None:
    assert _outcome(normalize_email, value) == _outcome(_before, value), repr(value)


_ADDRESSES = st.builds(
    lambda local, labels, pad: f"{pad}{local}@{'.'.join(labels)}{pad}",
    st.one_of(st.sampled_from(_LOCALS), st.text(st.sampled_from(_TRICKY), max_size=12)),
    st.lists(
        st.one_of(st.sampled_from(_LABELS), st.text(st.sampled_from(_TRICKY), max_size=8)),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["", " ", "\t"]),
)


def test_every_address_gets_email_validators_verdict(fast_paths: bool) -> None:
    @settings(max_examples=1500 if fast_paths else 150, deadline=None)
    @given(st.one_of(_ADDRESSES, st.text(st.sampled_from(_TRICKY), max_size=30)))
    def check(value: str) -> None:
        _same(value)

    check()


def test_a_generated_corpus_agrees_and_often_takes_the_fast_path(fast_paths: bool) -> None:
    rng = random.Random(14)
    fast = 0
    count = 10_000 if fast_paths else 1_000
    for _ in range(count):
        parts = [*_LOCALS[:3], "x", "y-z", "a_b"]
        local = ".".join(rng.choice(parts) for _ in range(rng.randint(1, 3)))
        labels = [rng.choice(_LABELS) for _ in range(rng.randint(1, 4))]
        address = f"{local}@{'.'.join(labels)}"
        if rng.random() < 0.2:
            address = "a" * rng.randint(150, 260) + address  # around the length limits
        _same(address)
        fast += normalize._plain_email(address.strip().lower())
    assert fast > count // 20  # the fast path is taken, not just correct


@pytest.mark.usefixtures("fast_paths")
def test_the_lengths_at_their_limits() -> None:
    label = "a" * 63
    for local_length in (63, 64, 65):
        for labels in (1, 2, 3, 4):
            domain = ".".join([label] * labels) + ".com"
            for extra in range(0, 4):
                _same("b" * (local_length - extra) + "@" + domain[extra:])
    for total in range(250, 258):
        _same("a" * (total - len("@example.com")) + "@example.com")


def test_the_benchmark_shape_is_fast_and_lower_cased() -> None:
    assert normalize._plain_email("bench.000001@example.com")
    assert normalize_email("  Jane.Doe@Example.COM ") == "jane.doe@example.com"


@pytest.mark.parametrize("switch", ["1", "yes"])
def test_without_the_fast_path_every_address_goes_to_email_validator(
    switch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def counted(candidate: str, **options: object) -> object:
        asked.append(candidate)
        return validate_email(candidate, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(normalize, "validate_email", counted)  # the library, counted
    normalize_email("jane@example.com")
    assert asked == []
    monkeypatch.setenv("RECONCILE_NO_FAST_PATHS", switch)
    normalize_email("jane@example.com")
    assert asked == ["jane@example.com"]


def test_a_release_without_the_special_use_list_gets_email_validator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES")
    assert not normalize._plain_email("jane@example.com")
    monkeypatch.undo()
    assert normalize._plain_email("jane@example.com")
