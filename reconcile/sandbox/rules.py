"""Omneo's field rules as data: one row per (field, rule) with its error message.

The validators take every message from :data:`RULES`, and ``docs/validation-rules.md`` is checked
against this table by a test, so the documentation cannot drift from the code. ``example`` is a
request body fragment that breaks the rule; for the ``unique`` rules it clashes with
:data:`UNIQUE_FIXTURE`, a profile that must exist first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    field: str
    type: str
    rule: str
    message: str
    example: dict[str, Any]


UNIQUE_FIXTURE: dict[str, Any] = {
    "email": "taken@example.com",
    "mobile_phone": "+61412000000",
    "identities": [{"handle": "pos", "identifier": "taken"}],
}

_E164 = "must be a valid phone number in E.164 format, e.g. +61412345678."
_STR = "may not be greater than 255 characters."

RULES: tuple[Rule, ...] = (
    Rule("email", "string", "required", "The email field is required.", {"email": None}),
    Rule("email", "string", "email", "The email must be a valid email address.", {"email": "x@"}),
    Rule("email", "string", "max:255", f"The email {_STR}", {"email": "a" * 251 + "@x.io"}),
    Rule(
        "email",
        "string",
        "unique",
        "The email has already been taken.",
        {"email": "Taken@Example.com"},
    ),
    Rule("first_name", "string", "string", "The first name must be a string.", {"first_name": 1}),
    Rule("first_name", "string", "max:255", f"The first name {_STR}", {"first_name": "a" * 256}),
    Rule("last_name", "string", "string", "The last name must be a string.", {"last_name": []}),
    Rule("last_name", "string", "max:255", f"The last name {_STR}", {"last_name": "a" * 256}),
    Rule("title", "string", "string", "The title must be a string.", {"title": 1}),
    Rule("company", "string", "string", "The company must be a string.", {"company": 1}),
    Rule("occupation", "string", "string", "The occupation must be a string.", {"occupation": 1}),
    Rule(
        "mobile_phone",
        "string",
        "e164",
        f"The mobile phone {_E164}",
        {"mobile_phone": "0412345678"},
    ),
    Rule(
        "mobile_phone",
        "string",
        "unique",
        "The phone number exists",
        {"mobile_phone": "+61412000000"},
    ),
    Rule(
        "secondary_phone",
        "string",
        "e164",
        f"The secondary phone {_E164}",
        {"secondary_phone": "12"},
    ),
    Rule(
        "birth_day",
        "integer",
        "between:1,31",
        "The birth day must be an integer between 1 and 31.",
        {"birth_day": 32},
    ),
    Rule(
        "birth_day",
        "integer",
        "real date",
        "The birth day, birth month and birth year must form a real date.",
        {"birth_day": 31, "birth_month": 2},
    ),
    Rule(
        "birth_month",
        "integer",
        "between:1,12",
        "The birth month must be an integer between 1 and 12.",
        {"birth_month": 0},
    ),
    Rule(
        "birth_year", "integer", "digits:4", "The birth year must be 4 digits.", {"birth_year": 89}
    ),
    Rule(
        "gender",
        "string",
        "in:male,female,withheld,other",
        "The selected gender is invalid.",
        {"gender": "m"},
    ),
    Rule(
        "profile_type",
        "string",
        "in:active,deleted,dependant,incomplete,pending,system,temporary",
        "The selected profile type is invalid.",
        {"profile_type": "gone"},
    ),
    Rule(
        "currency",
        "string",
        "ISO 4217",
        "The currency must be a 3-letter ISO 4217 code.",
        {"currency": "dollars"},
    ),
    Rule(
        "joined_at",
        "date-time",
        "date",
        "The joined at is not a valid date.",
        {"joined_at": "yesterday"},
    ),
    Rule(
        "avatar_url",
        "string",
        "url",
        "The avatar url must be a valid URL.",
        {"avatar_url": "not a url"},
    ),
    Rule(
        "joined_location_id",
        "integer",
        "integer",
        "The joined location id must be an integer.",
        {"joined_location_id": "x"},
    ),
    Rule(
        "preferred_location_id",
        "integer",
        "integer",
        "The preferred location id must be an integer.",
        {"preferred_location_id": 1.5},
    ),
    Rule("tags", "array", "array", "The tags must be an array.", {"tags": "vip"}),
    Rule("tags.*", "string", "string", "The tags.* must be a non-empty string.", {"tags": [1]}),
    Rule("identities", "array", "array", "The identities must be an array.", {"identities": {}}),
    Rule(
        "identities.*.handle",
        "string",
        "required",
        "The identities.*.handle field is required.",
        {"identities": [{"identifier": "1"}]},
    ),
    Rule(
        "identities.*.handle",
        "string",
        "distinct",
        "The identities.*.handle field has a duplicate value.",
        {"identities": [{"handle": "h", "identifier": "1"}, {"handle": "h", "identifier": "2"}]},
    ),
    Rule(
        "identities.*.identifier",
        "string",
        "required",
        "The identities.*.identifier field is required.",
        {"identities": [{"handle": "h"}]},
    ),
    Rule(
        "identities.*.identifier",
        "string",
        "unique",
        "The identity has already been taken.",
        {"identities": [{"handle": "pos", "identifier": "taken"}]},
    ),
    Rule(
        "identities.*.is_active",
        "boolean",
        "boolean",
        "The identities.*.is_active field must be true or false.",
        {"identities": [{"handle": "h", "identifier": "1", "is_active": "y"}]},
    ),
    Rule(
        "attributes.comms",
        "object",
        "object",
        "The attributes.comms must be an object.",
        {"attributes": {"comms": []}},
    ),
    Rule(
        "attributes.comms.*",
        "boolean",
        "known",
        "The attributes.comms.* is not a known comms preference.",
        {"attributes": {"comms": {"email_spam": True}}},
    ),
    Rule(
        "attributes.comms.*",
        "boolean",
        "boolean",
        "The attributes.comms.* field must be true or false.",
        {"attributes": {"comms": {"email_promo": "yes"}}},
    ),
    Rule(
        "attributes.comms.*_verification",
        "string",
        "in:sent,not_sent,verified",
        "The selected attributes.comms.*_verification is invalid.",
        {"attributes": {"comms": {"email_verification": "done"}}},
    ),
    Rule(
        "custom_attributes",
        "array",
        "array",
        "The custom_attributes must be an array.",
        {"custom_attributes": {"loyalty": {"tier": "gold"}}},
    ),
    Rule(
        "custom_attributes.*.namespace",
        "string",
        "required",
        "The custom_attributes.*.namespace field is required.",
        {"custom_attributes": [{"handle": "h", "type": "string", "value": "v"}]},
    ),
    Rule(
        "custom_attributes.*.type",
        "string",
        "in:string,integer,float,boolean,json,array",
        "The selected custom_attributes.*.type is invalid.",
        {"custom_attributes": [{"namespace": "n", "handle": "h", "type": "date", "value": 1}]},
    ),
    Rule(
        "custom_attributes.*.value",
        "mixed",
        "matches type",
        "The custom_attributes.*.value does not match its type.",
        {"custom_attributes": [{"namespace": "n", "handle": "h", "type": "integer", "value": "1"}]},
    ),
    Rule("addresses", "array", "array", "The addresses must be an array.", {"addresses": {}}),
    Rule(
        "addresses.*.address_line_1",
        "string",
        "required",
        "The addresses.*.address_line_1 field is required.",
        {"addresses": [{"city": "Sydney", "postcode": "2000", "country": "AU", "state": "NSW"}]},
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
