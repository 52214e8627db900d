"""Parameters the routes read by hand (filters, sort, pages, search), described in the OpenAPI
document with their limits, and patterns for the path parameters that must fit in a URL.

>>> [p["name"] for p in QUERY["/profiles"]][:2]
['filter[email]', 'filter[mobile_phone]']
"""

from __future__ import annotations

from typing import Any

from reconcile.sandbox.config import MAX_PAGE_SIZE
from reconcile.sandbox.rules.limits import MAX_SEARCH, MAX_STRING
from reconcile.sandbox.rules.vocabulary import PROFILE_TYPES
from reconcile.sandbox.storage.listing import FILTERS, SORTS

_WORD = "[A-Za-z0-9_.-]{1,64}"
_SORT = "-?(" + "|".join(SORTS) + ")"


def _query(name: str, schema: dict[str, Any], text: str, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": text,
    }


_LIST = "Comma-separated, at most 100 values."
_PAGES = [
    _query("page[size]", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
           "Items per page (default 15)."),
    _query("page[number]", {"type": "integer", "minimum": 1}, "Page, from 1."),
]  # fmt: skip
_PROFILE_FILTERS: dict[str, dict[str, Any]] = {
    "profile_type": {"type": "string", "enum": list(PROFILE_TYPES)},
    "email": {"type": "string", "maxLength": MAX_STRING},
}
QUERY: dict[str, list[dict[str, Any]]] = {
    "/profiles": [
        *(
            _query(f"filter[{name}]", _PROFILE_FILTERS.get(name, {"type": "string"}), _LIST)
            for name in FILTERS
        ),
        _query(
            "sort",
            {"type": "string", "pattern": f"^{_SORT}(,{_SORT})*$"},
            "Comma-separated columns, each with `-` for descending.",
        ),
        _query(
            "search",
            {"type": "string", "maxLength": MAX_SEARCH},
            "Typo-tolerant words of the names, email and mobile.",
        ),
        *_PAGES,
    ],
    "/identities": [
        _query("filter[handle]", {"type": "string", "maxLength": MAX_STRING}, "One handle."),
        _query("include", {"type": "string", "enum": ["profile"]}, "Embed each profile."),
        *_PAGES,
    ],
    "/profiles/attributes/custom": [
        _query("attributes[0][namespace]", {"type": "string", "minLength": 1}, "", True),
        _query("attributes[0][handle]", {"type": "string", "minLength": 1}, "", True),
        _query("attributes[0][value]", {"type": "string"}, "The value's text, to match."),
        *_PAGES,
    ],
}
PATH_PATTERNS = {
    "key": (f"^{_WORD}:{_WORD}$", "namespace:handle"),
    "handle": (f"^{_WORD}$", "An identity handle."),
}


def add_parameters(spec: dict[str, Any], prefix: str) -> None:
    """The hand-read query parameters, and URL-safe patterns for ``key`` and ``handle``."""
    for path, parameters in QUERY.items():
        operation = spec["paths"][prefix + path]["get"]
        named = {p["name"] for p in parameters}
        kept = [p for p in operation.get("parameters", []) if p["name"] not in named]
        operation["parameters"] = kept + parameters
    for operations in spec["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                found = PATH_PATTERNS.get(parameter["name"])
                if parameter["in"] == "path" and found:
                    parameter["schema"] = {"type": "string", "pattern": found[0]}
                    parameter["description"] = found[1]
    for parameter in spec["paths"][prefix + "/import-jobs"]["post"].get("parameters", []):
        if parameter["name"] == "match_criteria":
            parameter["schema"] = {"type": "string", "default": "email", "pattern": f"^{_WORD}$"}
            parameter["description"] = '"email", or the handle of the identity to match by.'
    search = spec["paths"][prefix + "/identities/search"]["get"]
    for parameter in search.get("parameters", []):
        parameter["required"] = True
        parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": MAX_STRING}
