"""Typed answers of the Omneo API, as the client hands them to the pipeline.

>>> page = profile_page([], {"meta": {"last_page": 3, "total": 1200}}, 1)
>>> page.last_page, page.total
(3, 1200)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from reconcile.model.fields import JsonValue
from reconcile.model.observed import Identity, ObservedProfile


class OwnedProfile(Identity):
    """An identity of the owner handle together with the profile that holds it."""

    profile: ObservedProfile


def owned_profile(item: dict[str, Any]) -> OwnedProfile:
    return OwnedProfile.model_validate(
        {**item, "profile": ObservedProfile.from_api(item["profile"])}
    )


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


def profile_page(profiles: list[ObservedProfile], body: dict[str, Any], number: int) -> ProfilePage:
    meta = body.get("meta") or {}
    return ProfilePage(
        profiles=tuple(profiles),
        number=number,
        last_page=int(meta.get("last_page") or 1),
        total=int(meta.get("total") or len(profiles)),
    )
