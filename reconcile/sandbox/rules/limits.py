"""The sandbox's limits, like a real API's: request size, list sizes, string lengths, page sizes.

Every limit is checked before the store's lock is taken, on counts and lengths alone (a list
over its limit is refused before any item is looked at), so no request can hold the store for
long. ``docs/validation-rules.md`` ("Limits") lists them; a test checks that table against
:data:`LIMITS` and sends a request over each one.

>>> count_message("tags", MAX_TAGS)
'The tags may not have more than 100 items.'
>>> body_limit("/api/v3/profiles/batch") == MAX_BULK_BODY_BYTES
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconcile.sandbox.config import MAX_BATCH_SIZE, MAX_PAGE_SIZE
from reconcile.sandbox.rules.errorbag import Errors

KIB = 1024
MAX_BODY_BYTES = 1024 * KIB  # one profile, with every list at its limit, fits with room to spare
MAX_BULK_BODY_BYTES = 10 * 1024 * KIB  # a batch of 500 profiles, or an import file
BULK_PATHS = ("/profiles/batch", "/import-jobs")
MAX_TAGS = 100
MAX_IDENTITIES = 20
MAX_CUSTOM_ATTRIBUTES = 100
MAX_ADDRESSES = 20
MAX_STRING = 255
MAX_URL = 2048
MAX_CUSTOM_VALUE = 65_535  # characters of a string value, or of a json/array value as JSON text
MAX_SEARCH = 255
MAX_FILTER_VALUES = 100
MAX_SEARCH_CONDITIONS = 10
MAX_IMPORT_ROWS = 10_000


@dataclass(frozen=True)
class Limit:
    """One documented limit: what it bounds, its maximum, and the answer beyond it."""

    name: str
    maximum: int
    status: int
    field: str  # the error key of the 422 ("" for a 413)
    message: str


def count_message(field: str, maximum: int) -> str:
    return f"The {field} may not have more than {maximum} items."


def length_message(field: str, maximum: int) -> str:
    return f"The {field} may not be greater than {maximum} characters."


BODY_TOO_LARGE = "The request body is too large."

LIMITS: tuple[Limit, ...] = (
    Limit("request body of `POST /profiles/batch`, `POST /import-jobs` (bytes)",
          MAX_BULK_BODY_BYTES, 413, "", BODY_TOO_LARGE),
    Limit("request body of any other route (bytes)", MAX_BODY_BYTES, 413, "", BODY_TOO_LARGE),
    Limit("`tags` of a profile", MAX_TAGS, 422, "tags", count_message("tags", MAX_TAGS)),
    Limit("`identities` of a profile", MAX_IDENTITIES, 422, "identities",
          count_message("identities", MAX_IDENTITIES)),
    Limit("`custom_attributes` of a profile", MAX_CUSTOM_ATTRIBUTES, 422, "custom_attributes",
          count_message("custom_attributes", MAX_CUSTOM_ATTRIBUTES)),
    Limit("`addresses` of a profile", MAX_ADDRESSES, 422, "addresses",
          count_message("addresses", MAX_ADDRESSES)),
    Limit("`search` (characters)", MAX_SEARCH, 422, "search",
          length_message("search", MAX_SEARCH)),
    Limit("values of one `filter[...]`, or of one `attributes[i][value][in]` (comma-separated)",
          MAX_FILTER_VALUES, 422, "filter.*", count_message("filter.*", MAX_FILTER_VALUES)),
    Limit("conditions of the custom-attribute search (`attributes[i]`)", MAX_SEARCH_CONDITIONS,
          422, "attributes", count_message("attributes", MAX_SEARCH_CONDITIONS)),
    Limit("`page[size]` of a listing (a tenant setting, `page_size_max`)", MAX_PAGE_SIZE, 422,
          "page.size", f"The page.size may not be greater than {MAX_PAGE_SIZE}."),
    Limit("`profiles` of a batch (a tenant setting, `batch_size_max`)", MAX_BATCH_SIZE, 422,
          "profiles", count_message("profiles", MAX_BATCH_SIZE)),
    Limit("rows of an import file", MAX_IMPORT_ROWS, 422, "file",
          f"The file may not have more than {MAX_IMPORT_ROWS} rows."),
)  # fmt: skip


def body_limit(path: str) -> int:
    """The largest request body, in bytes, that ``path`` accepts."""
    return MAX_BULK_BODY_BYTES if path.endswith(BULK_PATHS) else MAX_BODY_BYTES


def too_many(items: list[Any], field: str, maximum: int, errors: Errors) -> bool:
    """Whether ``items`` is over ``maximum`` (and the error added): checked before any item is."""
    if len(items) <= maximum:
        return False
    errors.add(field, count_message(field, maximum))
    return True


def too_long(text: str, field: str, maximum: int, errors: Errors) -> bool:
    """Whether ``text`` is over ``maximum`` characters (and the error added)."""
    if len(text) <= maximum:
        return False
    errors.add(field, length_message(field, maximum))
    return True
