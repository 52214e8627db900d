"""Typo-tolerant ``?search=`` over names, email and mobile, ranked the way Algolia ranks.

Each query word must match a word of the profile: exactly, as a prefix (the last query word only,
Algolia's ``prefixLast``), or with typos: none under 4 characters, one from 4, two from 8 (a typo
is an insertion, deletion, substitution or transposition). Results are ranked by fewer typos, then
more exact words, then age. An in-memory inverted index (rebuilt when the database changes) plus
rapidfuzz keeps a query over 100k profiles in milliseconds.
"""

from __future__ import annotations

import bisect
import re
import sqlite3
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from reconcile.sandbox.http.context import Tenant
from reconcile.sandbox.http.pagination import Page
from reconcile.sandbox.jsonio import stored_json
from reconcile.sandbox.storage.listing import Query
from reconcile.sandbox.storage.render import mobile_parts

_WORDS = re.compile(r"[^\w@.+-]+")
_NAME_WORDS = re.compile(r"[^\w]+")
Score = tuple[int, int]  # (typos, 0 if exact else 1): smaller is better


@dataclass(frozen=True)
class Index:
    vocab: list[str]
    postings: dict[str, frozenset[int]]


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Zoë" is found by "zoe"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def allowed_typos(word: str) -> int:
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


def profile_tokens(
    first: str, last: str, email: str, mobile: str | None, parts: list[Any] | None = None
) -> set[str]:
    tokens = {t for t in _NAME_WORDS.split(fold(f"{first} {last}")) if t and t != "unknown"}
    local, _, domain = email.partition("@")
    tokens |= {email, local, domain}
    if mobile:
        _, national, prefixed = parts or mobile_parts(mobile)
        tokens |= {mobile, mobile[1:], national, prefixed}
    return {t for t in tokens if t}


def build(conn: sqlite3.Connection) -> Index:
    postings: dict[str, set[int]] = defaultdict(set)
    rows = conn.execute(
        "SELECT seq, first_name, last_name, email, mobile_phone,"
        " CASE WHEN json_valid(doc) THEN json_extract(doc, '$.mobile_parts') END FROM profiles"
    )
    for seq, first, last, email, mobile, parts in rows:
        for token in profile_tokens(first, last, email, mobile, stored_json(parts)):
            postings[token].add(seq)
    return Index(sorted(postings), {t: frozenset(s) for t, s in postings.items()})


def index_for(tenant: Tenant, conn: sqlite3.Connection) -> Index:
    version = tenant.store.data_version()
    cached = tenant.caches.get("search")
    if cached is None or cached[0] != version:
        cached = (version, build(conn))
        tenant.caches["search"] = cached
    index: Index = cached[1]
    return index


def _word_matches(index: Index, word: str, *, prefix: bool) -> dict[int, Score]:
    best: dict[int, Score] = {}

    def offer(token: str, score: Score) -> None:
        for seq in index.postings[token]:
            if score < best.get(seq, (99, 1)):
                best[seq] = score

    if prefix:
        start = bisect.bisect_left(index.vocab, word)
        for token in index.vocab[start : bisect.bisect_left(index.vocab, word + "\uffff")]:
            offer(token, (0, 0 if token == word else 1))
    elif word in index.postings:
        offer(word, (0, 0))
    typos = allowed_typos(word)
    if typos:
        hits = process.extract(
            word, index.vocab, scorer=OSA.distance, score_cutoff=typos, limit=None
        )
        for token, distance, _ in hits:
            offer(token, (int(distance), 0 if distance == 0 else 1))
    return best


def rank(index: Index, text: str) -> list[int]:
    """Sequence numbers of the profiles matching every word of ``text``, best first."""
    words = [w.strip(".") for w in _WORDS.split(fold(text)) if w.strip(".")]
    if not words:
        return []
    totals: dict[int, list[int]] | None = None
    for position, word in enumerate(words):
        matches = _word_matches(index, word, prefix=position == len(words) - 1)
        if totals is None:
            totals = {seq: [typos, inexact] for seq, (typos, inexact) in matches.items()}
            continue
        totals = {
            seq: [acc[0] + matches[seq][0], acc[1] + matches[seq][1]]
            for seq, acc in totals.items()
            if seq in matches
        }
    return sorted(totals or {}, key=lambda seq: (*(totals or {})[seq], seq))


def search_rows(
    tenant: Tenant, conn: sqlite3.Connection, text: str, query: Query, page: Page
) -> tuple[list[sqlite3.Row], int]:
    """The page of ``rank`` results that also pass the listing's filters, and their total."""
    ranked = rank(index_for(tenant, conn), text)
    where = " AND ".join(query.where) or "1"
    allowed: set[int] = set()
    for start in range(0, len(ranked), 500):
        chunk = ranked[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT seq FROM profiles WHERE seq IN ({marks}) AND {where}"
        allowed |= {row[0] for row in conn.execute(sql, (*chunk, *query.params))}
    ordered = [seq for seq in ranked if seq in allowed]
    chosen = ordered[page.offset : page.offset + page.size]
    if not chosen:
        return [], len(ordered)
    marks = ",".join("?" * len(chosen))
    rows = {
        r["seq"]: r for r in conn.execute(f"SELECT * FROM profiles WHERE seq IN ({marks})", chosen)
    }
    return [rows[seq] for seq in chosen], len(ordered)
