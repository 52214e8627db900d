"""Finish the OpenAPI description: request bodies and parameters read by hand, the real error
answers, and the links from an answer's ids to the operations that take them.

FastAPI describes a ``422`` as its own ``{"detail": [...]}``; the sandbox answers Omneo's
``{"message", "errors"}``, so every operation's error responses are rewritten here, one per status
the operation can answer (see ``docs/errors.md``).
"""

from __future__ import annotations

from typing import Any

from reconcile.sandbox.http.openapi_links import PREFIX, add_links
from reconcile.sandbox.http.openapi_params import add_parameters
from reconcile.sandbox.problems import MESSAGES
from reconcile.sandbox.schemas.answers import add_schemas

READ_ONLY_POSTS = ("/api/v3/profiles/search-id", "/api/v3/profiles/availability")
LOOKUPS = ("/api/v3/identities/search",)  # a GET without an id in its path that can be a 404
ERROR_SCHEMA = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}
INVALID_SCHEMA = {
    "type": "object",
    "required": ["message", "errors"],
    "properties": {
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def _error(status: int) -> dict[str, Any]:
    name = "ValidationErrorBody" if status == 422 else "ErrorBody"
    schema = {"$ref": f"#/components/schemas/{name}"}
    return {"description": MESSAGES[status], "content": {"application/json": {"schema": schema}}}


def finish(spec: dict[str, Any]) -> dict[str, Any]:
    spec = add_schemas(spec)
    schemas = spec["components"]["schemas"]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorBody"] = ERROR_SCHEMA
    schemas["ValidationErrorBody"] = INVALID_SCHEMA
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            statuses = [401, 422, 429, 503]
            if method != "get":
                statuses += [400] if path in READ_ONLY_POSTS else [400, 403]
            if "{" in path or method != "get" or path in LOOKUPS:
                statuses.append(404)
            if method == "get" and not path.endswith(("/openapi.json", "}")):
                statuses.append(400)  # unknown filter, sort or include
            if "requestBody" in operation:
                statuses.append(413)  # see rules/limits.py
            operation["responses"].update({str(s): _error(s) for s in sorted(set(statuses))})
    add_parameters(spec, PREFIX)
    add_links(spec)
    return spec
