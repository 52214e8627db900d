"""Omneo's field rules as data: one row per (field, rule) with its error message.

The validators take every message from :data:`RULES`. ``docs/validation-rules.md`` is the spec:
a test fails if its table differs from this one, and another drives the API with the document's
own examples (which are kept there, not here, so the code cannot vouch for itself).

>>> message("tags.*", "string", 2)
'The tags.2 must be a non-empty string.'
"""

from __future__ import annotations

from dataclasses import dataclass

from reconcile.sandbox.rules.vocabulary import DATE_TEXT_FIELDS


@dataclass(frozen=True)
class Rule:
    field: str
    type: str
    rule: str
    message: str


_E164 = "must be a valid phone number in E.164 format, e.g. +61412345678."
_STR = "may not be greater than 255 characters."

RULES: tuple[Rule, ...] = (
    Rule("*", "number", "finite", "The * must be a finite number."),
    Rule("email", "string", "required", "The email field is required."),
    Rule("email", "string", "email", "The email must be a valid email address."),
    Rule("email", "string", "max:255", f"The email {_STR}"),
    Rule("email", "string", "unique", "The email has already been taken."),
    Rule("first_name", "string", "string", "The first name must be a string."),
    Rule("first_name", "string", "max:255", f"The first name {_STR}"),
    Rule("last_name", "string", "string", "The last name must be a string."),
    Rule("last_name", "string", "max:255", f"The last name {_STR}"),
    Rule("title", "string", "string", "The title must be a string."),
    Rule("title", "string", "max:255", f"The title {_STR}"),
    Rule("company", "string", "string", "The company must be a string."),
    Rule("company", "string", "max:255", f"The company {_STR}"),
    Rule("occupation", "string", "string", "The occupation must be a string."),
    Rule("occupation", "string", "max:255", f"The occupation {_STR}"),
    Rule("mobile_phone", "string", "e164", f"The mobile phone {_E164}"),
    Rule("mobile_phone", "string", "unique", "The phone number exists"),
    Rule("secondary_phone", "string", "e164", f"The secondary phone {_E164}"),
    Rule(
        "birth_day", "integer", "between:1,31", "The birth day must be an integer between 1 and 31."
    ),
    Rule(
        "birth_day",
        "integer",
        "real date",
        "The birth day, birth month and birth year must form a real date.",
    ),
    Rule(
        "birth_month",
        "integer",
        "between:1,12",
        "The birth month must be an integer between 1 and 12.",
    ),
    Rule("birth_year", "integer", "digits:4", "The birth year must be 4 digits."),
    Rule("gender", "string", "in:male,female,withheld,other", "The selected gender is invalid."),
    Rule(
        "profile_type",
        "string",
        "in:active,deleted,dependant,incomplete,pending,system,temporary",
        "The selected profile type is invalid.",
    ),
    Rule("currency", "string", "ISO 4217", "The currency must be a 3-letter ISO 4217 code."),
    Rule("joined_at", "date-time", "date", "The joined at is not a valid date."),
    Rule("avatar_url", "string", "url", "The avatar url must be a valid URL."),
    Rule(
        "avatar_url",
        "string",
        "max:2048",
        "The avatar url may not be greater than 2048 characters.",
    ),
    Rule("joined_location_id", "integer", "integer", "The joined location id must be an integer."),
    Rule(
        "preferred_location_id",
        "integer",
        "integer",
        "The preferred location id must be an integer.",
    ),
    Rule("tags", "array", "array", "The tags must be an array."),
    Rule("tags.*", "string", "string", "The tags.* must be a non-empty string."),
    Rule("tags.*", "string", "max:255", f"The tags.* {_STR}"),
    Rule("identities", "array", "array", "The identities must be an array."),
    Rule("identities.*.handle", "string", "required", "The identities.*.handle field is required."),
    Rule(
        "identities.*.handle",
        "string",
        "distinct",
        "The identities.*.handle field has a duplicate value.",
    ),
    Rule("identities.*.handle", "string", "max:255", f"The identities.*.handle {_STR}"),
    Rule(
        "identities.*.identifier",
        "string",
        "required",
        "The identities.*.identifier field is required.",
    ),
    Rule("identities.*.identifier", "string", "unique", "The identity has already been taken."),
    Rule("identities.*.identifier", "string", "max:255", f"The identities.*.identifier {_STR}"),
    Rule(
        "identities.*.is_active",
        "boolean",
        "boolean",
        "The identities.*.is_active field must be true or false.",
    ),
    Rule("attributes.comms", "object", "object", "The attributes.comms must be an object."),
    Rule(
        "attributes.comms.*",
        "boolean",
        "known",
        "The attributes.comms.* is not a known comms preference.",
    ),
    Rule(
        "attributes.comms.*",
        "boolean",
        "boolean",
        "The attributes.comms.* field must be true or false.",
    ),
    Rule(
        "attributes.comms.*_verification",
        "string",
        "in:sent,not_sent,verified",
        "The selected attributes.comms.*_verification is invalid.",
    ),
    Rule(
        "attributes.comms.terms_accepted_at",
        "string",
        "string",
        "The attributes.comms.terms_accepted_at must be a string.",
    ),
    Rule(
        "attributes.comms.terms_accepted_version",
        "string",
        "string",
        "The attributes.comms.terms_accepted_version must be a string.",
    ),
    Rule("custom_attributes", "array", "array", "The custom_attributes must be an array."),
    Rule(
        "custom_attributes.*.namespace",
        "string",
        "required",
        "The custom_attributes.*.namespace field is required.",
    ),
    Rule(
        "custom_attributes.*.namespace",
        "string",
        "max:255",
        f"The custom_attributes.*.namespace {_STR}",
    ),
    Rule(
        "custom_attributes.*.type",
        "string",
        "in:string,integer,float,boolean,json,array",
        "The selected custom_attributes.*.type is invalid.",
    ),
    Rule(
        "custom_attributes.*.value",
        "mixed",
        "matches type",
        "The custom_attributes.*.value does not match its type.",
    ),
    Rule(
        "custom_attributes.*.value",
        "mixed",
        "max:65535",
        "The custom_attributes.*.value may not be greater than 65535 characters.",
    ),
    Rule("addresses", "array", "array", "The addresses must be an array."),
    Rule(
        "addresses.*.address_line_1",
        "string",
        "required",
        "The addresses.*.address_line_1 field is required.",
    ),
    Rule("addresses.*.*", "string", "string", "The addresses.*.* must be a string."),
    Rule("addresses.*.*", "string", "max:255", f"The addresses.*.* {_STR}"),
    Rule(
        "addresses.*.is_default",
        "boolean",
        "boolean",
        "The addresses.*.is_default field must be true or false.",
    ),
    Rule("addresses.*.meta", "object", "object", "The addresses.*.meta must be an object."),
    Rule("dates_attributes", "array", "array", "The dates_attributes must be an array."),
    Rule(
        "dates_attributes.*.date",
        "date",
        "required",
        "The dates_attributes.*.date field is required.",
    ),
    Rule(
        "dates_attributes.*.date",
        "date",
        "date",
        "The dates_attributes.*.date is not a valid date.",
    ),
    Rule(
        "dates_attributes.*.is_recurring",
        "boolean",
        "boolean",
        "The dates_attributes.*.is_recurring field must be true or false.",
    ),
    Rule(
        "dates_attributes.*.meta",
        "object",
        "object",
        "The dates_attributes.*.meta must be an object.",
    ),
    *(
        rule
        for name in DATE_TEXT_FIELDS
        for rule in (
            Rule(
                f"dates_attributes.*.{name}",
                "string",
                "string",
                f"The dates_attributes.*.{name} must be a string.",
            ),
            Rule(
                f"dates_attributes.*.{name}",
                "string",
                "max:255",
                f"The dates_attributes.*.{name} {_STR}",
            ),
        )
    ),
)


def message(field: str, rule: str, index: int | str | None = None, key: str | None = None) -> str:
    """The documented message for ``rule`` on ``field``; ``*`` becomes ``index`` (or ``key``)."""
    for row in RULES:
        if row.field == field and row.rule == rule:
            text = row.message
            if key is not None:
                text = text.replace("*_verification", key).replace("*", key)
            elif index is not None:
                text = text.replace("*", str(index))
            return text
    raise KeyError(f"no rule {rule!r} for {field!r}")
