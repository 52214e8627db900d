"""The round-trip YAML writer: what it writes, the loader reads back as the very same values."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.errors import YamlWriteError
from reconcile.export import yaml_writer
from reconcile.profiles.loader import load_profiles

TRICKY = [
    "7391000999",  # digits: an int to any YAML reader
    "0012",  # an octal int to YAML 1.1
    "1_000",  # an int with separators to YAML 1.1
    "12:30",  # a sexagesimal int to YAML 1.1
    "yes",  # a boolean to YAML 1.1
    "No",
    "null",
    "~",
    "2024-01-01 10:00:00",  # a timestamp
    "1e3",
    ".inf",
    "#1 shop",  # a comment
    "- dash",
    "a: b",
    "[flow]",
    "{flow}",
    "it's",
    "trailing ",
    "",
    "Zoë O'Brien-Nguyễn",
    "&anchor",
    "*alias",
    "!tag",
    "%percent",
    "@at",
    "`tick",
    "|pipe",
    ">fold",
    "'quoted'",
    '"double"',
]


@pytest.mark.parametrize("value", TRICKY)
def test_a_string_is_read_back_as_the_same_string(tmp_path: Path, value: str) -> None:
    profiles = tmp_path / "profiles.d"
    document = yaml_writer.new_document(
        {"key": "p", "email": "p@example.com", "identities": {"crm": value}, "company": value}
    )
    yaml_writer.write_document(document, profiles / "p.yaml")
    if not value.strip():
        return  # an empty identifier is invalid anyway; the company check below needs text
    loaded = load_profiles(profiles, phone_region="AU").by_key()["p"].profile
    # identifiers and names are trimmed by the model, as Omneo stores them
    assert loaded.identities == {"crm": value.strip()}
    assert loaded.company == value.strip()


def test_an_update_keeps_the_files_indentation_comments_and_quoting(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "# The team.\n"
        "profiles:\n"
        "    -   key: ana   # lead\n"
        "        email: 'ana@example.com'\n"
        "        identities:\n"
        "            crm: '42'\n"
        "        tags: [a]\n"
    )
    document = yaml_writer.load_document(path)
    entry = document.root["profiles"][0]
    yaml_writer.set_value(entry, "company", "Acme")
    yaml_writer.set_value(entry, "tags", ["a", "b"])
    yaml_writer.set_value(yaml_writer.child_mapping(entry, "identities"), "pos", "7")
    yaml_writer.write_document(document, path)
    assert path.read_text() == (
        "# The team.\n"
        "profiles:\n"
        "    -   key: ana   # lead\n"
        "        company: Acme\n"
        "        email: 'ana@example.com'\n"
        "        identities:\n"
        "            crm: '42'\n"
        '            pos: "7"\n'
        "        tags: [a, b]\n"
    )


def test_a_file_that_is_not_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("profiles: [\n")
    with pytest.raises(YamlWriteError, match=r"broken\.yaml: cannot be edited as YAML"):
        yaml_writer.load_document(path)
