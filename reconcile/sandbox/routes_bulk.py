"""Bulk endpoints (sync, batch, CSV import) and the lookups (search-id, availability)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["bulk"])
