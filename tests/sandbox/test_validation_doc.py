"""The sandbox held to ``docs/validation-rules.md`` on its own: every example, accepted value,
comms name and normalisation case is read from the document and sent through real HTTP.

Nothing here comes from the sandbox's code, so a rule the code gets wrong fails against the page.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from tests.conftest import both_answer_styles
from tests.validation_doc import (
    DocumentedRule,
    comms_rows,
    documented_rules,
    listed_values,
    normalisation_cases,
    taken_profile,
)


def _pattern(field: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(field).replace(r"\*", "([^.]+?)") + "$")


def _expected(rule: DocumentedRule, key: str) -> str | None:
    matched = _pattern(rule.field).match(key)
    if not matched:
        return None
    text = rule.message
    for group in matched.groups():
        text = text.replace("*", group, 1)
    return text


@both_answer_styles
def test_every_example_is_refused_with_its_documented_message(api: httpx.Client) -> None:
    assert api.post("/profiles", json=taken_profile()).status_code == 201
    rules = documented_rules()
    assert len(rules) >= 40
    missing = []
    for number, rule in enumerate(rules):
        body = {"email": f"rule{number}@example.com", **rule.example}
        text = json.dumps(body)  # not json=: httpx refuses to encode the NaN of the finite rule
        answer = api.post("/profiles", content=text, headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, (rule, answer.text)
        errors: dict[str, list[str]] = answer.json()["errors"]
        if not any(_expected(rule, key) in found for key, found in errors.items()):
            missing.append((rule.field, rule.rule, errors))
    assert missing == []


@both_answer_styles
def test_every_listed_value_of_an_in_rule_is_accepted(api: httpx.Client) -> None:
    tried = []
    for rule in documented_rules():
        if not rule.rule.startswith("in:") or "." in rule.field:
            continue  # nested ones (comms verification, custom types) have their own cases
        for number, value in enumerate(listed_values(rule)):
            body = {"email": f"{rule.field}{number}@example.com", rule.field: value}
            answer = api.post("/profiles", json=body)
            assert answer.status_code == 201, (body, answer.text)
            assert answer.json()["data"][rule.field] == value
            tried.append(rule.field)
    assert set(tried) == {"gender", "profile_type"}


@both_answer_styles
def test_exactly_the_documented_comms_names_are_accepted(api: httpx.Client) -> None:
    rows = comms_rows()
    documented = {name for names, _ in rows for name in names}
    assert len(documented) == 5 * 11 + 4 + 2
    profile = api.post("/profiles", json={"email": "comms@example.com"}).json()["data"]
    shown = set(profile["attributes"]["comms"]) - {"profile_id", "updated_at"}
    assert shown == documented
    for round_ in range(max(len(values) for _, values in rows)):
        body = {name: values[round_ % len(values)] for names, values in rows for name in names}
        answer = api.put(f"/profiles/{profile['id']}/attributes/comms", json=body)
        assert answer.status_code == 200, answer.text
        stored = answer.json()["data"]
        assert {name: stored[name] for name in body} == body


def _holds(found: Any, expected: Any) -> bool:
    """Whether ``found`` has every documented part of ``expected`` (lists item by item)."""
    if isinstance(expected, dict):
        return isinstance(found, dict) and all(
            key in found and _holds(found[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(found, list)
            and len(found) == len(expected)
            and all(map(_holds, found, expected))
        )
    return bool(found == expected and type(found) is type(expected))


def test_every_normalisation_case_is_stored_as_documented(api: httpx.Client) -> None:
    cases = normalisation_cases()
    assert len(cases) >= 15
    wrong = []
    for number, (sent, expected) in enumerate(cases):
        body = {"email": f"case{number}@example.com", **sent}
        created = api.post("/profiles", json=body)
        assert created.status_code == 201, (sent, created.text)
        found = api.get(f"/profiles/{created.json()['data']['id']}").json()["data"]
        if not _holds(found, expected):
            wrong.append((sent, {key: found.get(key) for key in expected}))
    assert wrong == []
