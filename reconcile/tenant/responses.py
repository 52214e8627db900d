"""Typed answers of the Omneo API, as the client hands them to the pipeline.

>>> page = profile_page([], {"meta": {"last_page": 3, "total": 1200}}, 1)
>>> page.last_page, page.total
(3, 1200)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from reconcile.model.fields import ADDRESS_FIELDS, JsonValue
from reconcile.model.observed import ObservedProfile

BATCH_FINISHED = ("completed", "complete", "finished", "failed", "processed")


@dataclass(frozen=True, slots=True)
class OwnedProfile:
    """An identity of the owner handle (its identifier is the key) and the profile holding it."""

    identifier: str
    profile: ObservedProfile


def owned_profile(item: dict[str, Any]) -> OwnedProfile:
    """A listed identity and its profile; the identifier is the profile's own identity's text
    (one string, not two: a tenant of 100,000 managed profiles holds 100,000 of them)."""
    identifier = str(item["identifier"])
    profile = ObservedProfile.from_api(item["profile"])
    held = next((i.identifier for i in profile.identities if i.identifier == identifier), None)
    return OwnedProfile(identifier if held is None else held, profile)


class ProfilePage(BaseModel):
    """One page of a paginated listing."""

    model_config = ConfigDict(frozen=True)

    profiles: tuple[ObservedProfile, ...]
    number: int
    last_page: int
    total: int
    with_identities: bool = True  # whether the listed profiles show their identities


class CustomAttributeItem(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    namespace: str
    handle: str
    type: str
    value: JsonValue = None


class StoredAddress(BaseModel):
    """An address as ``GET /profiles/{id}/addresses`` holds it: its id and its managed fields.

    >>> StoredAddress.of({"id": 7, "city": "Sydney", "created_at": "2026-01-01"}).fields
    {'city': 'Sydney'}
    """

    model_config = ConfigDict(frozen=True)

    id: str
    fields: dict[str, JsonValue]

    @classmethod
    def of(cls, item: dict[str, Any]) -> StoredAddress:
        values = {name: item[name] for name in ADDRESS_FIELDS if item.get(name) is not None}
        return cls(id=str(item["id"]), fields=values)


class BatchItem(BaseModel):
    """One profile of a batch: ``external_id`` is its owner identifier; ``error`` when failed."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    external_id: str | None = None
    status: str = ""
    error: JsonValue = None

    def describe_error(self) -> str:
        """The batch's reason, as one line: ``field: message; field: message``."""
        if not isinstance(self.error, dict):
            return str(self.error)
        lines = []
        for name, messages in self.error.items():
            said = messages if isinstance(messages, list) else [messages]
            lines.append(f"{name}: {' '.join(map(str, said))}")
        return "; ".join(lines)


class BatchStatus(BaseModel):
    """``GET /batches/{id}``: how far a queued batch has got, and its failed items.

    >>> BatchStatus.model_validate({"status": "processing", "total_count": 2,
    ...                             "processed_count": 2}).finished
    True
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: str = ""
    total_count: int = 0
    processed_count: int = 0
    items: tuple[BatchItem, ...] = ()

    @property
    def finished(self) -> bool:
        done = self.status.lower() in BATCH_FINISHED
        return done or (self.total_count > 0 and self.processed_count >= self.total_count)

    def failed(self) -> dict[str, str]:
        """The failed items' reasons, by external id."""
        return {
            str(item.external_id): item.describe_error()
            for item in self.items
            if item.status == "failed"
        }


def profile_page(profiles: list[ObservedProfile], body: dict[str, Any], number: int) -> ProfilePage:
    meta = body.get("meta") or {}
    return ProfilePage(
        profiles=tuple(profiles),
        number=number,
        last_page=int(meta.get("last_page") or 1),
        total=int(meta.get("total") or len(profiles)),
    )
