"""The tool's offline checks held to ``docs/validation-rules.md`` on their own.

Every example, listed value, comms name and normalisation case comes from the page (through
``tests/validation_doc.py``, which the sandbox's test reads too) and is written into a
``profiles.d/`` file for :func:`load_profiles`, the way a user's declaration reaches the tool. The
sandbox's code is never consulted, so a rule the tool gets wrong fails against the page.

A declaration is not an API body: identities are a mapping (handle → identifier), custom
attributes a nested one (namespace → handle → value), dates one by handle, and some fields are
reconcile's own. Each rule of the page is therefore either in :data:`CHECKED` (the tool refuses its
example offline) or in :data:`NOT_CHECKED` with the reason; a rule the page gains fails until
someone files it here, as does a normalisation case the tool refuses (:data:`DIFFERENT`).
Each row of the page's Limits table is likewise in :data:`LIMITS_CHECKED` (a declaration one item
over the maximum is refused at the field, naming the maximum; one at it loads) or in
:data:`LIMITS_NOT_CHECKED`; its string lengths are rules of the Rules table, checked above.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from reconcile.errors import Problem, ProfileError
from reconcile.model.fields import COMMS_FIELDS, date_view
from reconcile.profiles.loader import DeclaredProfiles, load_profiles
from tests.validation_doc import (
    DocumentedLimit,
    DocumentedRule,
    comms_rows,
    documented_limits,
    documented_rules,
    listed_values,
    normalisation_cases,
    taken_profile,
)

# The tool's checks, by rule of the page: the loader refuses the rule's example at the rule's
# field. "tree": a uniqueness rule, which the tool checks across the declarations (the tenant's
# other profiles are the plan's business), so the example is declared beside the page's taken
# profile. "yaml": a key written twice in a YAML mapping, refused by the reader at its line.
CHECKED: dict[tuple[str, str], str] = {
    ("*", "finite"): "",
    ("email", "required"): "",
    ("email", "email"): "",
    ("email", "max:255"): "",
    ("email", "unique"): "tree",
    ("first_name", "string"): "",
    ("first_name", "max:255"): "",
    ("last_name", "string"): "",
    ("last_name", "max:255"): "",
    ("title", "string"): "",
    ("title", "max:255"): "",
    ("company", "string"): "",
    ("company", "max:255"): "",
    ("occupation", "string"): "",
    ("occupation", "max:255"): "",
    ("mobile_phone", "e164"): "",
    ("mobile_phone", "unique"): "tree",
    ("secondary_phone", "e164"): "",
    ("birth_day", "between:1,31"): "",
    ("birth_day", "real date"): "",
    ("birth_month", "between:1,12"): "",
    ("birth_year", "digits:4"): "",
    ("gender", "in:male,female,withheld,other"): "",
    ("currency", "ISO 4217"): "",
    ("joined_at", "date"): "",
    ("avatar_url", "url"): "",
    ("avatar_url", "max:2048"): "",
    ("joined_location_id", "integer"): "",
    ("preferred_location_id", "integer"): "",
    ("tags", "array"): "",
    ("tags.*", "string"): "",
    ("tags.*", "max:255"): "",
    ("identities.*.handle", "distinct"): "yaml",
    ("identities.*.handle", "max:255"): "",
    ("identities.*.identifier", "required"): "",
    ("identities.*.identifier", "unique"): "tree",
    ("identities.*.identifier", "max:255"): "",
    ("attributes.comms", "object"): "",
    ("attributes.comms.*", "known"): "",
    ("attributes.comms.*", "boolean"): "",
    ("attributes.comms.*_verification", "in:sent,not_sent,verified"): "",
    ("attributes.comms.terms_accepted_at", "string"): "",
    ("attributes.comms.terms_accepted_version", "string"): "",
    ("custom_attributes.*.namespace", "max:255"): "",
    ("custom_attributes.*.type", "in:string,integer,float,boolean,json,array"): "",
    ("custom_attributes.*.value", "matches type"): "",
    ("custom_attributes.*.value", "max:65535"): "",
    ("addresses", "array"): "",
    ("addresses.*.address_line_1", "required"): "",
    ("addresses.*.*", "string"): "",
    ("addresses.*.*", "max:255"): "",
    ("addresses.*.is_default", "boolean"): "",
    ("addresses.*.meta", "object"): "",
    ("dates_attributes.*.date", "required"): "",
    ("dates_attributes.*.date", "date"): "",
    ("dates_attributes.*.meta", "object"): "",
    ("dates_attributes.*.handle", "max:255"): "",
    **{
        (f"dates_attributes.*.{name}", rule): ""
        for name in ("type", "recurring_schedule", "name", "relationship", "description", "note")
        for rule in ("string", "max:255")
    },
}

_NOT_DECLARABLE = "not a field of a declaration"
# Rules the tool does not check offline, and why. Shape rules of the wire's lists do not apply
# where a declaration writes a mapping: reconcile builds the list it sends.
NOT_CHECKED: dict[tuple[str, str], str] = {
    ("profile_type", "in:active,deleted,dependant,incomplete,pending,system,temporary"): (
        f"{_NOT_DECLARABLE}: reconcile sets the type itself (update-type, to restore a profile)"
    ),
    ("identities", "array"): "a declaration writes identities as a mapping, handle → identifier",
    ("identities.*.handle", "required"): "a handle is a mapping key in a declaration: never absent",
    ("identities.*.is_active", "boolean"): f"{_NOT_DECLARABLE}: reconcile sends none (active)",
    ("custom_attributes", "array"): (
        "a declaration writes custom attributes as a mapping, namespace → handle → value: the "
        "example's shape is the declaration's own"
    ),
    ("custom_attributes.*.namespace", "required"): "a namespace is a mapping key: never absent",
    ("dates_attributes", "array"): "a declaration writes dates as a mapping, handle → date",
    ("dates_attributes.*.handle", "string"): "a handle is a mapping key: always text",
    ("dates_attributes.*.is_recurring", "boolean"): (
        "a declaration's one `recurring` field is a schedule (text) or true/false; reconcile "
        "sends is_recurring as a boolean"
    ),
}

_ADDRESS = {"address_line_1": "1 Main St", "city": "Sydney", "state": "NSW", "postcode": "2000",
            "country": "AU"}  # fmt: skip
# The per-profile limits the tool checks, by the page's error key: a declaration of n items.
LIMITS_CHECKED: dict[str, Any] = {
    "tags": lambda n: [f"t{i}" for i in range(n)],
    "identities": lambda n: {f"h{i}": f"id-{i}" for i in range(n)},
    # Counted across namespaces: split in two, so that a per-namespace count would pass.
    "custom_attributes": lambda n: {
        "a": {f"h{i}": i for i in range(n // 2)},
        "b": {f"h{i}": i for i in range(n // 2, n)},
    },
    "addresses": lambda n: [_ADDRESS] * n,
}
_NOT_A_DECLARATION = "bounds a request reconcile builds, not what a declaration says"
# Limits of the page the tool does not check offline, by the page's subject cell, and why.
LIMITS_NOT_CHECKED: dict[str, str] = {
    "request body of `POST /profiles/batch`, `POST /import-jobs` (bytes)": _NOT_A_DECLARATION,
    "request body of any other route (bytes)": _NOT_A_DECLARATION,
    "`search` (characters)": _NOT_A_DECLARATION,
    "values of one `filter[...]`, or of one `attributes[i][value][in]` (comma-separated)": (
        _NOT_A_DECLARATION
    ),
    "conditions of the custom-attribute search (`attributes[i]`)": _NOT_A_DECLARATION,
    "`page[size]` of a listing (a tenant setting, `page_size_max`)": _NOT_A_DECLARATION,
    "`profiles` of a batch (a tenant setting, `batch_size_max`)": _NOT_A_DECLARATION,
    "rows of an import file": _NOT_A_DECLARATION,
}

# A value of each custom attribute type, for the type rule's listed values.
CUSTOM_SAMPLES: dict[str, Any] = {
    "string": "v",
    "integer": 1,
    "float": 1.5,
    "boolean": True,
    "json": {"a": 1},
    "array": [1],
}

# Normalisation cases the tool deliberately refuses, by the body sent, and why.
DIFFERENT: dict[str, str] = {
    '{"identities": [{"handle": "pos", "identifier": 1001}]}': (
        "a declared identifier must be text: YAML would drop the zeros of 00123, so the loader "
        "refuses a number there rather than guess (docs/profiles.md)"
    ),
    (
        '{"dates_attributes": [{"date": "2015-03-14T10:30:00Z", "handle": " wedding ", '
        '"note": ""}]}'
    ): (
        "a date's handle is a mapping key of letters, digits, _ : and - (part of a field path), "
        "so ' wedding ' is refused, not trimmed; and a date is a day: a date-time is refused "
        "rather than cut (docs/profiles.md)"
    ),
}
# Where a declaration names a field otherwise than the API body.
DECLARED_AS = {"dates_attributes": "dates"}


class Pairs(list[tuple[Any, Any]]):
    """A mapping written key by key, so that a YAML file can repeat a key (``distinct``)."""


def _yaml(value: Any) -> str:
    """A flow-style YAML value; JSON's text where YAML reads it the same."""
    if isinstance(value, dict | Pairs):
        items = value.items() if isinstance(value, dict) else value
        return "{" + ", ".join(f"{_yaml(k)}: {_yaml(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(item) for item in value) + "]"
    if isinstance(value, float) and math.isnan(value):
        return ".nan"
    if isinstance(value, float) and math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return json.dumps(value)


def declaration(body: dict[str, Any]) -> dict[str, Any]:
    """A declaration's fields for a fragment of an API body: the wire's lists become mappings."""
    fields: dict[str, Any] = {}
    for name, value in body.items():
        if name == "identities" and isinstance(value, list):
            fields[name] = Pairs((item["handle"], item.get("identifier")) for item in value)
        elif name == "dates_attributes" and isinstance(value, list):
            fields["dates"] = Pairs((item.get("handle", "d"), _date(item)) for item in value)
        elif name == "custom_attributes" and isinstance(value, list):
            nested: dict[str, dict[str, Any]] = {}
            for item in value:
                typed = {"type": item["type"], "value": item["value"]}
                nested.setdefault(item["namespace"], {})[item["handle"]] = typed
            fields[name] = nested
        else:
            fields[name] = value
    return fields


def _date(item: dict[str, Any]) -> dict[str, Any]:
    """A declared date: named by its handle; ``recurring`` says both whether and how often."""
    declared = {k: v for k, v in item.items() if k not in ("handle", "is_recurring")}
    if "recurring_schedule" in declared:
        declared["recurring"] = declared.pop("recurring_schedule")
    return declared


def load(root: Path, *declarations: dict[str, Any]) -> DeclaredProfiles:
    """Write each declaration to its own file under ``root`` and load the tree as a user's.

    No phone region: the loader's strictest reading, E.164 only, as the API's (with a region,
    national numbers are read in it: docs/profiles.md).
    """
    for number, fields in enumerate(declarations):
        lines = [f"{name}: {_yaml(value)}" for name, value in fields.items()]
        path = root / f"p{number}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_profiles(root, phone_region=None)


def problems(root: Path, *declarations: dict[str, Any]) -> list[Problem]:
    try:
        load(root, *declarations)
    except ProfileError as exc:
        return exc.problems
    return []


def _with_email(number: int, body: dict[str, Any]) -> dict[str, Any]:
    # As the page says of its examples: a valid email is added when the example has none.
    return {"key": f"p{number}", "email": f"rule{number}@example.com", **declaration(body)}


def _is_about(problem: Problem, rule: DocumentedRule, how: str) -> bool:
    """Whether the problem is reported at the rule's field (any field for ``*``)."""
    if how == "yaml":
        return "appears twice" in problem.message
    prefix = rule.field.split(".*")[0].split("*")[0]
    prefix = DECLARED_AS.get(prefix, prefix)
    return problem.field == prefix or problem.field.startswith(f"{prefix}.") or not prefix


def test_every_rule_of_the_page_is_decided() -> None:
    documented = {(rule.field, rule.rule) for rule in documented_rules()}
    assert len(documented) >= 40
    assert not set(CHECKED) & set(NOT_CHECKED)
    assert documented - set(CHECKED) - set(NOT_CHECKED) == set(), "new rules: file each above"
    assert (set(CHECKED) | set(NOT_CHECKED)) - documented == set(), "rules the page dropped"


def test_every_checked_example_is_refused_at_its_field(tmp_path: Path) -> None:
    taken = {"key": "taken", **declaration(taken_profile())}
    wrong = []
    for number, rule in enumerate(documented_rules()):
        how = CHECKED.get((rule.field, rule.rule))
        if how is None:
            continue
        others = [taken] if how == "tree" else []
        found = problems(tmp_path / f"rule{number}", _with_email(number, rule.example), *others)
        if not any(_is_about(problem, rule, how) for problem in found):
            wrong.append((rule.field, rule.rule, [str(problem) for problem in found]))
    assert wrong == [], "\n".join(map(str, wrong))


def _accepted_bodies(rule: DocumentedRule) -> list[dict[str, Any]]:
    values = listed_values(rule)
    if "." not in rule.field:
        return [{rule.field: value} for value in values]
    if rule.field == "attributes.comms.*_verification":
        return [{"attributes": {"comms": {"email_verification": value}}} for value in values]
    if rule.field == "custom_attributes.*.type":
        assert set(values) == set(CUSTOM_SAMPLES)
        return [
            {"custom_attributes": [{"namespace": "n", "handle": "h", "type": t, "value": v}]}
            for t, v in CUSTOM_SAMPLES.items()
        ]
    raise AssertionError(f"decide how the tool takes the values of {rule.field} {rule.rule}")


def test_every_listed_value_of_a_checked_in_rule_is_accepted(tmp_path: Path) -> None:
    bodies = [
        body
        for rule in documented_rules()
        if rule.rule.startswith("in:") and (rule.field, rule.rule) in CHECKED
        for body in _accepted_bodies(rule)
    ]
    assert len(bodies) >= 4 + 3 + 6
    declarations = [_with_email(number, body) for number, body in enumerate(bodies)]
    declared = load(tmp_path, *declarations)
    assert len(declared.profiles) == len(bodies)


def test_the_taken_profile_is_a_valid_declaration(tmp_path: Path) -> None:
    [profile] = load(tmp_path, {"key": "taken", **declaration(taken_profile())}).profiles
    assert profile.flat_view() == {
        "email": "taken@example.com",
        "mobile_phone": "+61412000000",
        "identities.pos": "taken",
    }


def test_the_comms_names_are_the_tools_vocabulary_and_take_their_values(tmp_path: Path) -> None:
    rows = comms_rows()
    documented = [name for names, _ in rows for name in names]
    assert sorted(documented) == sorted(COMMS_FIELDS)
    rounds = max(len(values) for _, values in rows)
    comms = [
        {name: values[round_ % len(values)] for names, values in rows for name in names}
        for round_ in range(rounds)
    ]
    declared = load(
        tmp_path, *({"key": f"p{n}", "attributes": {"comms": c}} for n, c in enumerate(comms))
    )
    for profile, sent in zip(declared.profiles, comms, strict=True):
        view = profile.flat_view()
        assert {name: view[f"attributes.comms.{name}"] for name in sent} == sent


def _flat(expected: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """The stored fields the case sent, as the tool's flat view names them.

    Fields the case did not send are Omneo's read-only ones (``full_name``, the phone's parts,
    ``birth_date``, an identity's ``is_active``) or ones left alone: a declaration manages only
    what it names, so they are not compared. Tags are a set to the tool (both sides sorted).
    """
    view: dict[str, Any] = {}
    for name, value in expected.items():
        if name not in sent:
            continue
        if name == "identities":
            view.update({f"identities.{i['handle']}": i["identifier"] for i in value})
        elif name == "tags":
            view[name] = sorted(value)
        else:
            view[name] = value
    return view


def test_every_normalisation_case_gives_the_documented_value(tmp_path: Path) -> None:
    cases = normalisation_cases()
    assert len(cases) >= 15
    wrong, compared = [], 0
    for number, (sent, expected) in enumerate(cases):
        body = _with_email(number, sent)
        root = tmp_path / f"case{number}"
        if json.dumps(sent) in DIFFERENT:
            assert problems(root, body), DIFFERENT[json.dumps(sent)]
            continue
        compared += 1
        refused = problems(root, body)
        if refused:
            wrong.append((sent, [str(problem) for problem in refused]))
            continue
        [profile] = load(root, body).profiles
        view, wanted = profile.flat_view(), _flat(expected, sent)
        found = {name: view.get(name) for name in wanted}
        if found != wanted:
            wrong.append((sent, found))
    assert wrong == [], "\n".join(map(str, wrong))
    assert compared == len(cases) - len(DIFFERENT)


def test_the_date_case_written_as_a_declaration_compares_equal_to_what_is_stored(
    tmp_path: Path,
) -> None:
    """The page's date case, its handle and day written as a declaration must be: the rest (an
    empty note is null, no recurrence is a one-off) equals the stored date as a plan reads it."""
    [(sent, expected)] = [case for case in normalisation_cases() if "dates_attributes" in case[0]]
    [item], [stored] = sent["dates_attributes"], expected["attributes"]["dates"]
    declared = {**_date(item), "date": stored["date"]}
    body = {"key": "p", "email": "p@example.com", "dates": {stored["handle"]: declared}}
    [profile] = load(tmp_path, body).profiles
    assert profile.flat_view()[f"dates.{stored['handle']}"] == date_view(stored)


def test_every_limit_of_the_page_is_decided() -> None:
    limits = documented_limits()
    checked = {limit.key for limit in limits if limit.subject.endswith(" of a profile")}
    assert checked == set(LIMITS_CHECKED), "per-profile limits: file each in LIMITS_CHECKED"
    others = {limit.subject for limit in limits if limit.key not in LIMITS_CHECKED}
    assert others == set(LIMITS_NOT_CHECKED), "new or dropped limits: file each above"


def _limit_problems(root: Path, limit: DocumentedLimit, count: int) -> list[Problem]:
    body = {"key": "p", "email": "p@example.com", limit.key: LIMITS_CHECKED[limit.key](count)}
    return problems(root, body)


def test_one_over_each_per_profile_limit_is_refused_at_its_field_and_names_it(
    tmp_path: Path,
) -> None:
    wrong = []
    for limit in documented_limits():
        if limit.key not in LIMITS_CHECKED:
            continue
        found = _limit_problems(tmp_path / f"{limit.key}-over", limit, limit.maximum + 1)
        says = f"at most {limit.maximum:,}"
        named = [p for p in found if p.field == limit.key and says in p.message]
        if len(found) != 1 or not named or found[0].line != 3:  # key, email, the field
            wrong.append((limit.key, [str(p) for p in found]))
        if at_limit := _limit_problems(tmp_path / f"{limit.key}-at", limit, limit.maximum):
            wrong.append((limit.key, [str(p) for p in at_limit]))
    assert wrong == [], "\n".join(map(str, wrong))
