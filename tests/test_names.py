"""Names that cannot be misrouted: custom attribute namespaces and handles, identity handles and
keys holding a separator or a path, an invisible character or a second Unicode spelling are
refused by ``validate``, at their line, before any request could write the wrong attribute."""

from __future__ import annotations

import unicodedata

import pytest

from reconcile.model.desired import DesiredProfile
from tests.conftest import Project

NFD_CAFE = unicodedata.normalize("NFD", "café")

# (what, the YAML under the profile, the message's words)
REFUSED = {
    "a namespace holding ':'": ('custom_attributes:\n  "a:b": {c: x}', "cannot hold ':'"),
    "a namespace '..'": ('custom_attributes:\n  "..": {c: x}', "cannot hold '..'"),
    "a namespace climbing a path": ('custom_attributes:\n  "ns/../x": {c: x}', "cannot hold '/'"),
    "a namespace holding '\\'": ('custom_attributes:\n  "a\\\\b": {c: x}', "cannot hold '\\\\'"),
    "a namespace holding '?'": ('custom_attributes:\n  "a?b": {c: x}', "cannot hold '?'"),
    "a namespace holding '#'": ('custom_attributes:\n  "a#b": {c: x}', "cannot hold '#'"),
    "a namespace holding '%'": ('custom_attributes:\n  "a%2Fb": {c: x}', "cannot hold '%'"),
    "a namespace holding '.'": ("custom_attributes:\n  a.b: {c: x}", "cannot hold '.'"),
    "a handle holding ':'": ('custom_attributes:\n  ns: {"b:c": x}', "cannot hold ':'"),
    "a handle '..'": ('custom_attributes:\n  ns: {"..": x}', "cannot hold '..'"),
    "a zero-width handle": ('custom_attributes:\n  ns: {"a\\u200bb": x}', "U+200B"),
    "a right-to-left override": ('custom_attributes:\n  ns: {"a\\u202eb": x}', "U+202E"),
    "a control character": ('custom_attributes:\n  "a\\x1bb": {c: x}', "U+001B"),
    "a no-break space": ('custom_attributes:\n  "a\\u00a0b": {c: x}', "U+00A0"),
    "a namespace not in NFC": (f"custom_attributes:\n  {NFD_CAFE}: {{c: x}}", "not in Unicode NFC"),
    "an identity handle holding ':'": ('identities:\n  "pos:web": "1"', "identity handle"),
    "an identity handle '..'": ('identities:\n  "..": "1"', "identity handle"),
    "an identity handle with a slash": ('identities:\n  "a/b": "1"', "identity handle"),
    "an identity handle zero-width": ('identities:\n  "pos\\u200b": "1"', "identity handle"),
    "previous keys with '..'": ("previous_keys: [a..b]", "with no '..'"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_validate_refuses_a_name_that_could_be_misrouted_at_its_line(
    project: Project, case: str
) -> None:
    body, words = REFUSED[case]
    project.write("p1.yaml", f"email: p1@example.com\n{body}\n")

    result = project.cli("validate")

    assert result.exit_code == 1, result.output
    shown = [text for text in result.stderr.splitlines() if words in text]
    assert shown, result.stderr
    at = f"profiles.d/p1.yaml:{2 + body.count(chr(10))}: p1: "  # the name's own line
    assert shown[0].removeprefix("error: ").startswith(at), shown
    assert "\u200b" not in result.stderr and "\u202e" not in result.stderr
    assert "\x1b" not in result.stderr and "Traceback" not in result.output


def test_a_key_with_two_dots_is_refused(project: Project) -> None:
    project.write("a.yaml", "profiles:\n  - key: a..b\n    email: a@example.com\n")
    result = project.cli("validate")
    assert result.exit_code == 1
    assert "profiles.d/a.yaml:2: a..b: key: must be lowercase" in result.stderr
    assert "with no '..'" in result.stderr


def test_nfc_and_nfd_spellings_are_never_two_attributes() -> None:
    nfc = unicodedata.normalize("NFC", "café")
    kept = DesiredProfile.model_validate({"key": "k", "custom_attributes": {nfc: {nfc: 1}}})
    assert kept.flat_view() == {f"custom_attributes.{nfc}.{nfc}": 1}
    with pytest.raises(ValueError, match="not in Unicode NFC"):
        DesiredProfile.model_validate({"key": "k", "custom_attributes": {nfc: {NFD_CAFE: 1}}})


@pytest.mark.parametrize(
    "names",
    [("loyalty", "tier"), ("loyalty", "tier.v2"), ("café", "préféré"), ("my shop", "since 2019")],
)
def test_ordinary_names_are_kept(names: tuple[str, str]) -> None:
    namespace, handle = names
    profile = DesiredProfile.model_validate(
        {"key": "k", "identities": {"pos.v2": "1"}, "custom_attributes": {namespace: {handle: 1}}}
    )
    assert profile.flat_view()[f"custom_attributes.{namespace}.{handle}"] == 1


def test_the_guide_states_the_names_rule() -> None:
    from pathlib import Path

    guide = (Path(__file__).parent.parent / "docs" / "profiles.md").read_text(encoding="utf-8")
    assert "### Names" in guide and "NFC" in guide


def test_a_hostile_key_is_shown_escaped(project: Project) -> None:
    project.write("x.yaml", 'profiles:\n  - key: "a\\u202eb\\u200b"\n    email: a@example.com\n')
    result = project.cli("validate")
    assert "profiles.d/x.yaml:2: a\\u202eb\\u200b: key: must be lowercase" in result.stderr
    assert "\u202e" not in result.stderr and "\u200b" not in result.stderr
