"""The JSON Schema of a profiles.d/ file, generated from the models so it cannot drift.

Editors use it for completion and inline errors (see docs/profiles.md, "Editor completion").
It describes the *shape*; ``reconcile validate`` still checks what a schema cannot (real dates,
valid phone numbers and emails, uniqueness across the tree).

>>> schema = profile_file_schema()
>>> sorted(schema["$defs"]["Profile"]["properties"])[:3]
['addresses', 'attributes', 'avatar_url']
"""

from __future__ import annotations

import json
from typing import Any

from reconcile.model.desired import DesiredProfile

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_ANY_JSON = ("string", "number", "boolean", "array", "object")


def profile_file_schema() -> dict[str, Any]:
    """One profile, or a ``profiles:`` list of them; ``_defaults.yaml`` files fit it too."""
    generated = DesiredProfile.model_json_schema(ref_template="#/$defs/{model}")
    definitions = generated.pop("$defs", {})
    generated["required"] = []  # key defaults to the file name in a one-profile file
    generated["title"] = "Profile"
    definitions["Profile"] = generated
    definitions["CustomAttribute"] = {
        "description": "A bare value (its type inferred), or {type, value}.",
        "anyOf": [definitions["CustomAttribute"], {"type": list(_ANY_JSON)}],
    }
    profile = {"$ref": "#/$defs/Profile"}
    profile_list = {
        "type": "object",
        "properties": {"profiles": {"type": "array", "items": profile}},
        "required": ["profiles"],
        "additionalProperties": False,
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "reconcile profiles.d file",
        "description": "One Omneo profile, or several under 'profiles:'.",
        "anyOf": [profile_list, profile],
        "$defs": definitions,
    }


def profile_file_schema_json() -> str:
    return json.dumps(profile_file_schema(), indent=2, sort_keys=True)
