"""Error answers of the sandbox: an exception per status, raised anywhere, rendered in one place.

Bodies follow Laravel (Omneo is a Laravel application): ``{"message": ...}``, plus ``errors``
on 422.
``docs/errors.md`` lists one row per status and is checked against :data:`MESSAGES` by a test.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[int, str] = {
    400: "The request body is not valid JSON.",
    401: "Unauthenticated.",
    403: "This action is unauthorized.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    421: "Misdirected request: this sandbox answers only to a loopback host name.",
    422: "The given data was invalid.",
    429: "Too Many Attempts.",
    503: "Service unavailable (simulated fault).",
}


class ApiProblem(Exception):
    """An error answer: HTTP status, Laravel-style body, optional headers."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message or MESSAGES.get(status, "Error.")
        self.errors = errors
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class NotFound(ApiProblem):
    def __init__(self, what: str = "Resource") -> None:
        super().__init__(404, f"{what} not found.")


class Invalid(ApiProblem):
    """422 with every field error at once."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(422, MESSAGES[422], errors=errors)


class BadQuery(ApiProblem):
    """400 for a filter, sort or include the endpoint does not allow (as spatie query-builder)."""

    def __init__(self, kind: str, requested: list[str], allowed: list[str]) -> None:
        asked = ", ".join(requested)
        options = ", ".join(allowed)
        super().__init__(
            400,
            f"Requested {kind}(s) `{asked}` are not allowed. Allowed {kind}(s) are `{options}`.",
        )
