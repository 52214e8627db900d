"""The request bodies of apply, built in one place from what a change writes.

A profile's target is its declared flat view (plus the owner identity); the per-profile writes
(``writes.py``) and the batch engine (``bulk.py``) both turn it into Omneo's input spellings here,
so a field cannot be written one way one by one and another way in bulk.

>>> target = TargetProfile(key="jane", view={"email": "jane@example.com", "tags": ["vip"],
...     "identities.reconcile": "jane", "attributes.comms.sms_promo": True}, custom_types={})
>>> create_body(target)["identities"]
[{'handle': 'reconcile', 'identifier': 'jane'}]
>>> sorted(batch_item(target))
['comms_attributes', 'email', 'identities', 'tags']
>>> sorted(inline_parts(target, ["attributes.comms.sms_promo", "tags"], PART_KINDS))
['comms_attributes']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from reconcile.model.declaration import Declaration
from reconcile.model.fields import ADDRESS_FIELDS, SCALAR_FIELDS, JsonValue, date_input

PROFILE_BODY_FIELDS = (*SCALAR_FIELDS, "tags")
COMMS = "attributes.comms."
CUSTOM = "custom_attributes."
IDENTITIES = "identities."
DATES = "dates."

# The parts of a profile that have their own endpoints and that a profile body may also carry
# inline (the batch endpoint documents them so); whether POST/PUT /profiles take them is
# detected per tenant (``writes.py``).
PartKind = Literal["identities", "comms", "custom", "addresses", "dates"]
PART_KINDS: tuple[PartKind, ...] = ("identities", "comms", "custom", "addresses", "dates")


@dataclass(frozen=True)
class TargetProfile:
    """What a change writes: the declared flat view plus the owner identity, and attribute types."""

    key: str
    view: Mapping[str, JsonValue]
    custom_types: Mapping[str, str]

    @classmethod
    def of(cls, declaration: Declaration, owner: str) -> TargetProfile:
        view = {**declaration.view, f"identities.{owner}": declaration.key}
        types: dict[str, str] = {}
        if any(name.startswith(CUSTOM) for name in view):  # the types are in the full model only
            types = {
                f"{CUSTOM}{namespace}.{handle}": attribute.type
                for namespace, handles in (declaration.profile.custom_attributes or {}).items()
                for handle, attribute in handles.items()
                if attribute is not None
            }
        return cls(key=declaration.key, view=view, custom_types=types)


def profile_fields(
    view: Mapping[str, JsonValue], names: Iterable[str] | None = None
) -> dict[str, JsonValue]:
    """The fields ``PUT``/``POST /profiles`` carry (scalars, the whole tag list), of ``names``."""
    chosen = view if names is None else [name for name in names if name in view]
    return {name: view[name] for name in chosen if name in PROFILE_BODY_FIELDS}


def identities(view: Mapping[str, JsonValue]) -> list[JsonValue]:
    """``[{handle, identifier}]`` for every identity the view sets, sorted by handle."""
    return [
        {"handle": name.removeprefix(IDENTITIES), "identifier": value}
        for name, value in sorted(view.items())
        if name.startswith(IDENTITIES) and value is not None
    ]


def comms(
    view: Mapping[str, JsonValue], names: Iterable[str] | None = None
) -> dict[str, JsonValue]:
    """The comms flags (``{flag: value}``) the view sets, of ``names``."""
    chosen = view if names is None else names
    return {name.removeprefix(COMMS): view[name] for name in chosen if name.startswith(COMMS)}


def custom_attribute(name: str) -> tuple[str, str]:
    """``custom_attributes.NS.HANDLE`` → ``(NS, HANDLE)``."""
    namespace, handle = name.removeprefix(CUSTOM).split(".", 1)
    return namespace, handle


def custom_attributes(target: TargetProfile) -> list[JsonValue]:
    """``[{namespace, handle, type, value}]`` for every custom attribute the target sets."""
    items: list[JsonValue] = []
    for name, value in sorted(target.view.items()):
        if name.startswith(CUSTOM) and value is not None:
            namespace, handle = custom_attribute(name)
            kind = target.custom_types.get(name, "string")
            items.append({"namespace": namespace, "handle": handle, "type": kind, "value": value})
    return items


def address_body(address: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """One address as the address endpoints take it: every field, unset ones as null."""
    return {name: address.get(name) for name in ADDRESS_FIELDS}


def dates(view: Mapping[str, JsonValue]) -> list[JsonValue]:
    """``dates_attributes`` for every date the view sets."""
    return [
        date_input(name.removeprefix(DATES), value)
        for name, value in sorted(view.items())
        if name.startswith(DATES) and isinstance(value, dict)
    ]


def create_body(target: TargetProfile) -> dict[str, JsonValue]:
    """``POST /profiles``: the profile's fields and identities (the owner identity included)."""
    return {**profile_fields(target.view), "identities": identities(target.view)}


def batch_item(target: TargetProfile) -> dict[str, JsonValue]:
    """One profile as ``POST /profiles/batch`` takes it: what a create carries, plus comms,
    custom attributes, addresses and dates, which the batch takes inline."""
    item = create_body(target)
    parts: dict[str, JsonValue] = {
        "comms_attributes": comms(target.view),
        "custom_attributes": custom_attributes(target),
        "dates_attributes": dates(target.view),
    }
    item.update({name: part for name, part in parts.items() if part})
    if "addresses" in target.view:
        item["addresses"] = target.view["addresses"]
    return item


def part_kind(name: str) -> PartKind | None:
    """Which inline part writes the flat-view field ``name`` (``None``: a scalar or the tags)."""
    if name.startswith(IDENTITIES):
        return "identities"
    if name.startswith(COMMS):
        return "comms"
    if name.startswith(CUSTOM):
        return "custom"
    if name.startswith(DATES):
        return "dates"
    return "addresses" if name == "addresses" else None


def inline_parts(
    target: TargetProfile, names: Iterable[str], kinds: Iterable[PartKind]
) -> dict[str, JsonValue]:
    """The parts of ``names`` a profile body carries inline, for the part ``kinds`` given.

    A value that removes (an identity, a custom attribute or a date set to null) is not a
    body's to carry: it stays with its own endpoint's ``DELETE``. Dates are left to the caller,
    which must delete a date that changes relationship first (``writes.py``).
    """
    allowed = set(kinds)
    chosen = [
        name for name in sorted(set(names)) if name in target.view and part_kind(name) in allowed
    ]
    body: dict[str, JsonValue] = {}
    settable = {name: target.view[name] for name in chosen if target.view[name] is not None}
    found = identities(settable)
    if found:
        body["identities"] = found
    flags = comms(target.view, [name for name in chosen if part_kind(name) == "comms"])
    if flags:
        body["comms_attributes"] = flags
    custom = custom_attributes(TargetProfile(target.key, settable, target.custom_types))
    if custom:
        body["custom_attributes"] = custom
    if "addresses" in chosen:
        listed = target.view["addresses"]
        addresses = listed if isinstance(listed, list) else []
        body["addresses"] = [address_body(a) for a in addresses if isinstance(a, dict)]
    return body
