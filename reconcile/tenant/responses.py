"""Typed answers of the Omneo API, as the client hands them to the pipeline.

>>> page = profile_page([], {"meta": {"last_page": 3, "total": 1200}}, 1)
>>> page.last_page, page.total
(3, 1200)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from reconcile.errors import UnreadableAnswer
from reconcile.model import forms
from reconcile.model.answer_parts import address
from reconcile.model.fields import JsonValue
from reconcile.model.observed import ObservedProfile

BATCH_FINISHED = ("completed", "complete", "finished", "failed", "processed")


@dataclass(frozen=True, slots=True)
class OwnedProfile:
    """An identity of the owner handle (its identifier is the key) and the profile holding it."""

    identifier: str
    profile: ObservedProfile


def owned_profile(item: Any) -> OwnedProfile:
    """A listed identity and its profile; the identifier is the profile's own identity's text
    (one string, not two: a tenant of 100,000 managed profiles holds 100,000 of them).

    A profile that cannot be read is kept (its ``unreadable`` says why); an identity without
    an identifier cannot say whose it is, so that answer is refused whole."""
    identifier = forms.text_id(item.get("identifier")) if type(item) is dict else None
    if identifier is None:
        raise forms.unreadable("identifier", item)
    profile = ObservedProfile.from_api(item["profile"])
    held = next((i.identifier for i in profile.identities if i.identifier == identifier), None)
    return OwnedProfile(identifier if held is None else held, profile)


def profile_of(body: Any, method: str, path: str) -> ObservedProfile:
    """One profile's answer, read (a profile that cannot be read is kept, marked so)."""
    with reading(method, path):
        return ObservedProfile.from_api(data_of(body))


@contextmanager
def reading(method: str, path: str) -> Iterator[None]:
    """An answer that cannot be read as a whole is an error naming the request."""
    try:
        yield
    except UnreadableAnswer as exc:
        raise exc.at(method, path) from None


def with_profile(item: Any) -> bool:
    """Whether a listed identity carries its profile (one that is not an object is read, and
    refused, by :func:`owned_profile`)."""
    return not isinstance(item, dict) or bool(item.get("profile"))


def data_of(body: Any) -> Any:
    """The ``data`` of an answer's envelope (``{"data": ...}``)."""
    if type(body) is not dict or "data" not in body:
        raise forms.unreadable("the answer", body)
    return body["data"]


def listed(body: Any) -> list[Any]:
    """The items of a listing's ``data``."""
    data = data_of(body)
    if type(data) is not list:
        raise forms.unreadable("data", data)
    return data


def last_page(body: Any) -> int:
    """``meta.last_page`` of a listing (1 when the listing gives none)."""
    meta = forms.mapping("meta", body.get("meta"))
    found = meta.get("last_page")
    return 1 if found is None else forms.number("meta.last_page", found)


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

    @classmethod
    def of(cls, item: Any) -> CustomAttributeItem:
        """An item of ``GET /profiles/{id}/attributes/custom`` (its id and timestamps ignored)."""
        fields = item if type(item) is dict else {}
        if not all(type(fields.get(name)) is str for name in ("namespace", "handle", "type")):
            raise forms.unreadable("custom_attributes", item)
        return cls(**{name: fields.get(name) for name in ("namespace", "handle", "type", "value")})


class StoredAddress(BaseModel):
    """An address as ``GET /profiles/{id}/addresses`` holds it: its id and its managed fields.

    >>> StoredAddress.of({"id": 7, "city": "Sydney", "created_at": "2026-01-01"}).fields
    {'city': 'Sydney'}
    """

    model_config = ConfigDict(frozen=True)

    id: str
    fields: dict[str, JsonValue]

    @classmethod
    def of(cls, item: Any) -> StoredAddress:
        fields = address(item)  # the form rules of an address inside a profile
        ident = forms.text_id(item.get("id"))
        if ident is None:
            raise forms.unreadable("addresses.id", item.get("id"))
        return cls(id=ident, fields=fields)


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


def profile_page(profiles: list[ObservedProfile], body: Any, number: int) -> ProfilePage:
    meta = forms.mapping("meta", body.get("meta"))
    total = meta.get("total")
    return ProfilePage(
        profiles=tuple(profiles),
        number=number,
        last_page=last_page(body),
        total=len(profiles) if total is None else forms.number("meta.total", total),
    )
