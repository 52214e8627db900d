"""The readers of a profile answer's parts, each by the rules of :mod:`~reconcile.model.forms`:
scalars, tags, identities, comms, custom attributes, addresses, dates. Each raises
:class:`~reconcile.errors.UnreadableAnswer` for a part it cannot read; :mod:`.reading` puts them
together. Values that repeat across a tenant's profiles are shared (:func:`share`).

>>> custom([{"namespace": "loyalty", "handle": "tier", "value": "gold"}], view := {})
>>> view
{'custom_attributes.loyalty.tier': 'gold'}
"""

from __future__ import annotations

from itertools import compress, repeat
from operator import is_not
from typing import Any

from reconcile.errors import UnreadableAnswer
from reconcile.model import forms
from reconcile.model.fields import (
    ADDRESS_FIELDS,
    COMMS_FLAGS,
    COMMS_OTHER,
    COMMS_VERIFICATIONS,
    SCALAR_FIELDS,
    JsonValue,
    path,
)

# -- shared values -------------------------------------------------------------------------------

# Text and integers that repeat across a tenant's profiles (names, titles, cities, tags, handles,
# birth years) are kept once, not once per profile: about 1 KB less a profile. Keyed by exact type
# (1 == 1.0 == True); emptied when full, so a tenant of unique values cannot grow it without end.
_TEXTS: dict[str, str] = {}
_INTS: dict[int, int] = {}
_SHARED_MAX = 1 << 16


def share(value: Any) -> Any:
    """``value``, or an equal value of its type seen before: one object for every profile.

    >>> share("Melbourne") is share("".join(["Mel", "bourne"]))
    True
    """
    kind = type(value)
    if kind is str:
        return _TEXTS.setdefault(value, value)
    if kind is int:
        return _INTS.setdefault(value, value)
    return value


# -- scalars -------------------------------------------------------------------------------------

_NUMBERS = frozenset(("birth_day", "birth_month", "birth_year", "joined_location_id",
                      "preferred_location_id"))  # fmt: skip
# The type each scalar field holds when it comes in the reference's form.
_EXPECTED = {name: int if name in _NUMBERS else str for name in SCALAR_FIELDS}
_SHARED_SCALARS = (
    *("title", "first_name", "last_name", "gender", "company", "occupation", "currency"),
    *("birth_year", "joined_location_id", "preferred_location_id"),
)
_NONES = repeat(None)  # endless: map() stops at the shorter iterable


def scalars(data: dict[str, Any], problems: list[UnreadableAnswer]) -> dict[str, JsonValue]:
    """The scalar fields holding a value; one in a form no rule reads is left out and noted."""
    if len(_TEXTS) > _SHARED_MAX or len(_INTS) > _SHARED_MAX:
        _TEXTS.clear()
        _INTS.clear()
    # The per-field work runs in C (map, compress) where it can: this runs for every profile.
    values = tuple(map(data.get, SCALAR_FIELDS))
    view = dict(compress(zip(SCALAR_FIELDS, values, strict=True), map(is_not, values, _NONES)))
    expected = _EXPECTED
    for name in [name for name, value in view.items() if type(value) is not expected[name]]:
        try:
            if name not in _NUMBERS:
                raise forms.unreadable(name, view[name])
            view[name] = forms.number(name, view[name])
        except UnreadableAnswer as problem:
            problems.append(problem)
            del view[name]
    if "joined_at" in view:
        try:
            view["joined_at"] = forms.timestamp(view["joined_at"])
        except UnreadableAnswer as problem:
            problems.append(problem)
            del view["joined_at"]
    for name in _SHARED_SCALARS:
        if name in view:
            view[name] = share(view[name])
    return view


def tags(tags: Any) -> list[JsonValue]:
    # sorted by their text, as text: the same as sorting by str() and then converting
    listed = forms.items("tags", tags)
    if not all(type(tag) is str or type(tag) is int for tag in listed):
        raise forms.unreadable("tags", tags)
    return [_TEXTS.setdefault(tag, tag) for tag in sorted(map(str, listed))]


def identities(items: Any) -> list[tuple[str, str, str]]:
    found = []
    for item in forms.items("identities", items):
        if type(item) is not dict:
            raise forms.unreadable("identities", items)
        handle, identifier = item.get("handle"), forms.text_id(item.get("identifier"))
        if type(handle) is not str or not handle or identifier is None:
            raise forms.unreadable("identities", item)
        # An identity without an id sorts last: its age is unknown.
        ident = forms.text_id(item.get("id")) or "~"
        found.append((forms.id_order(ident), ident, share(handle), identifier))
    found.sort(key=lambda entry: entry[0])
    return [(ident, handle, identifier) for _, ident, handle, identifier in found]


# -- attributes ----------------------------------------------------------------------------------

_COMMS_PATHS = {flag: path("attributes.comms", flag) for flag in (*COMMS_FLAGS,
                *COMMS_VERIFICATIONS, *COMMS_OTHER)}  # fmt: skip
_COMMS_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(COMMS_FLAGS, (bool,)),
    **dict.fromkeys(COMMS_VERIFICATIONS, (str,)),
    # text in the docs, Boolean in the SDK's type: both are read, as they came
    **dict.fromkeys(COMMS_OTHER, (str, bool)),
}


def comms(comms: dict[str, Any], view: dict[str, JsonValue]) -> None:
    # A profile carries all 61 flags, most null: the set ones are found without a Python step
    # per flag, and unset ones are left out (reading them gives None anyway).
    for flag in compress(comms, map(is_not, comms.values(), _NONES)):
        key = _COMMS_PATHS.get(flag)
        if key is None:
            continue  # profile_id, timestamps, and fields reconcile does not manage
        value = comms[flag]
        if type(value) not in _COMMS_TYPES[flag]:
            raise forms.unreadable(key, value)
        if flag == "terms_accepted_at":
            value = forms.timestamp_or_text(value, key)
        view[key] = share(value)


def custom(custom: Any, view: dict[str, JsonValue]) -> None:
    """A ``{namespace: {handle: value}}`` map, or a list of ``{namespace, handle, value}`` items
    (the SDK's type); ``[]`` is an empty namespace."""
    found: list[tuple[str, str, Any]] = []
    if type(custom) is list:
        for item in custom:
            namespace = item.get("namespace") if type(item) is dict else None
            handle = item.get("handle") if type(item) is dict else None
            if type(namespace) is not str or type(handle) is not str:
                raise forms.unreadable("custom_attributes", item)
            found.append((namespace, handle, item.get("value")))
    else:
        for namespace, handles in forms.mapping("custom_attributes", custom).items():
            inner = forms.mapping(path("custom_attributes", namespace), handles)
            found += [(namespace, handle, value) for handle, value in inner.items()]
    for namespace, handle, value in sorted(found, key=lambda entry: entry[:2]):
        view[path("custom_attributes", namespace, handle)] = share(value)


_SHARED_ADDRESS = frozenset(("company", "city", "state", "postcode", "country", "iso", "iso_state"))


def addresses(addresses: Any) -> list[JsonValue]:
    return [address(item) for item in forms.items("addresses", addresses)]


def address(item: Any) -> dict[str, JsonValue]:
    """An address's managed fields that hold a value, repeating ones (cities) shared; ``meta``,
    ids and timestamps are not managed, so their forms do not matter."""
    if type(item) is not dict:
        raise forms.unreadable("addresses", item)
    view: dict[str, JsonValue] = {}
    for name in ADDRESS_FIELDS:
        value = item.get(name)
        if value is None:
            continue
        if type(value) is not (bool if name == "is_default" else str):
            raise forms.unreadable(f"addresses.{name}", value)
        view[name] = share(value) if name in _SHARED_ADDRESS else value
    return view


def dates(dates: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """The dates the view shows, by handle, with their ids. A date without a handle cannot be
    declared, so it is not in the view (and left alone); of two dates with one handle (other
    relationships), the oldest is the one managed."""
    listed = forms.items("attributes.dates", dates)
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    ordered = []
    for item in listed:
        ident = forms.text_id(item.get("id")) if type(item) is dict else None
        if ident is None or type(item.get("date")) is not str:
            raise forms.unreadable("attributes.dates", item)
        ordered.append((forms.id_order(ident), ident, item))
    for _, ident, item in sorted(ordered, key=lambda entry: entry[0]):
        handle = item.get("handle")
        if isinstance(handle, str) and handle and handle not in found:
            found[handle] = (ident, item)
    return dict(sorted(found.items()))
