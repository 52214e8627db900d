"""``GET /profiles``: exact and partial filters, sort and pagination, in the spatie query-builder
style Omneo's Laravel API uses (an unknown filter or sort is a 400 naming the allowed ones)."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from reconcile.sandbox.http.context import Tenant
from reconcile.sandbox.http.pagination import Page
from reconcile.sandbox.problems import BadQuery, Invalid
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.limits import MAX_FILTER_VALUES, MAX_SEARCH, too_long, too_many
from reconcile.sandbox.rules.values import tag

FILTERS = ("email", "mobile_phone", "first_name", "last_name", "profile_type", "tags.handle")
SORTS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "created_at": "seq",
    "updated_at": "updated_at",
    "id": "id",
}
_FILTER_KEY = re.compile(r"^filter\[([^\]]+)\]$")
# A document SQLite cannot read (a NaN written by an older sandbox) holds no tags, rather than
# failing the whole listing.
VALID_DOC = "CASE WHEN json_valid(profiles.doc) THEN profiles.doc ELSE '{}' END"
MAX_CACHED_ORDERS = 8  # listings kept in order (each a list of ints; one-off lookups churn)
_KNOWN_PARAMS = {"sort", "search", "page[size]", "page[number]", "page", "per_page", "include"}


@dataclass
class Query:
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    order: str = "seq"


def _values(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def parse(request: Request) -> Query:
    """Translate ``filter[...]`` and ``sort`` into SQL; soft-deleted profiles only on request.

    A parameter given twice counts once, with its last value, as PHP reads a query string.
    """
    query = Query()
    unknown: list[str] = []
    filters: dict[str, list[str]] = {}
    for key, raw in request.query_params.multi_items():
        found = _FILTER_KEY.match(key)
        if not found:
            if key not in _KNOWN_PARAMS and not key.startswith("page["):
                unknown.append(key)
        elif found.group(1) not in FILTERS:
            unknown.append(found.group(1))
        else:
            filters[found.group(1)] = _values(raw)
    if unknown:
        raise BadQuery("filter", unknown, list(FILTERS))
    _check_sizes(request, filters)
    for name, values in filters.items():
        _add_filter(query, name, values)
    if "profile_type" not in filters:
        query.where.append("profile_type != 'deleted'")
    query.order = _order(request.query_params.get("sort", ""))
    return query


def _check_sizes(request: Request, filters: dict[str, list[str]]) -> None:
    """422 for a search text or a filter list over its limit (see ``rules/limits.py``)."""
    errors = Errors()
    too_long(request.query_params.get("search") or "", "search", MAX_SEARCH, errors)
    for name, values in filters.items():
        too_many(values, f"filter.{name}", MAX_FILTER_VALUES, errors)
    if errors:
        raise Invalid(errors.by_field)


def _add_filter(query: Query, name: str, values: list[str]) -> None:
    if not values:
        return
    marks = ",".join("?" * len(values))
    if name == "email":
        query.where.append(f"email IN ({marks})")
        query.params.extend(v.lower() for v in values)
    elif name == "mobile_phone":
        query.where.append(f"mobile_phone IN ({marks})")
        query.params.extend(_e164_or_raw(v) for v in values)
    elif name in ("first_name", "last_name"):  # partial and case-insensitive, as spatie's default
        query.where.append("(" + " OR ".join(f"{name} LIKE ? ESCAPE '\\'" for _ in values) + ")")
        query.params.extend(f"%{_escape_like(v)}%" for v in values)
    elif name == "profile_type":
        query.where.append(f"profile_type IN ({marks})")
        query.params.extend(values)
    else:  # tags.handle: profiles holding any of the tags
        query.where.append(
            f"EXISTS (SELECT 1 FROM json_each({VALID_DOC}, '$.tags') WHERE value IN ({marks}))"
        )
        query.params.extend(tag(v) for v in values)


def _e164_or_raw(value: str) -> str:
    # A '+' in a query string arrives as a space unless encoded; accept both spellings.
    text = value.strip()
    return "+" + text if text.isdigit() and value.startswith(" ") else text


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _order(raw: str) -> str:
    terms: dict[str, str] = {}  # a column sorted twice sorts by its first mention
    bad: list[str] = []
    for part in _values(raw):
        name = part.lstrip("-")
        if name not in SORTS:
            bad.append(part)
            continue
        terms.setdefault(name, f"{SORTS[name]} {'DESC' if part.startswith('-') else 'ASC'}")
    if bad:
        raise BadQuery("sort", bad, sorted(SORTS))
    return ", ".join([*terms.values(), "seq ASC"])


def fetch(
    tenant: Tenant, conn: sqlite3.Connection, query: Query, page: Page
) -> tuple[list[sqlite3.Row], int]:
    """The page's rows and the total, read off the listing's order (see :func:`ordered`)."""
    seqs = ordered(tenant, conn, query)
    return rows_of(conn, seqs[page.offset : page.offset + page.size]), len(seqs)


def ordered(tenant: Tenant, conn: sqlite3.Connection, query: Query) -> list[int]:
    """The ``seq`` of every profile the listing shows, in its order, kept until the store
    changes: with OFFSET paging every page counted the profiles and stepped over all those
    before it (at 100,000 profiles, more CPU than rendering the page)."""
    where = " AND ".join(query.where) or "1"
    key = f"profile_order:{where}:{query.order}:{query.params!r}"
    version = tenant.store.data_version()
    cached = tenant.caches.get(key)
    if cached is None or cached[0] != version:
        sql = f"SELECT seq FROM profiles WHERE {where} ORDER BY {query.order}"
        cached = (version, [row[0] for row in conn.execute(sql, query.params)])
        stale = [name for name in tenant.caches if name.startswith("profile_order:")]
        for name in stale[: max(0, len(stale) - MAX_CACHED_ORDERS + 1)]:
            del tenant.caches[name]  # the oldest first (dicts keep insertion order)
        tenant.caches.pop(key, None)
        tenant.caches[key] = cached
    seqs: list[int] = cached[1]
    return seqs


def rows_of(conn: sqlite3.Connection, seqs: list[int]) -> list[sqlite3.Row]:
    """The profile rows of ``seqs``, in that order."""
    marks = ",".join("?" * len(seqs))
    found = conn.execute(f"SELECT * FROM profiles WHERE seq IN ({marks})", seqs).fetchall()
    by_seq = {row["seq"]: row for row in found}
    return [by_seq[seq] for seq in seqs if seq in by_seq]
