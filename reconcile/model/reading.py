"""One API profile, read part by part into the flat view, whatever form each part came in.

Every form ``docs/tenant-compatibility.md`` lists is read to the same value (the rules are in
:mod:`~reconcile.model.forms`); unknown fields are ignored. Each part is read on its own: a part
no rule reads is left out of the view and named in :attr:`Read.unreadable` (the first such), and
the rest is still read, so the planner can match the profile and report it as one conflict.

>>> read = read_profile({"id": 7, "custom_attributes": [
...     {"namespace": "loyalty", "handle": "tier", "type": "string", "value": "gold"}]})
>>> read.id, read.view["custom_attributes.loyalty.tier"], read.unreadable
('7', 'gold', None)
>>> read_profile({"id": "p-1", "tags": "vip"}).unreadable
Unreadable(field='tags', received='text "vip"')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from reconcile.errors import UnreadableAnswer
from reconcile.model import answer_parts as parts
from reconcile.model import forms
from reconcile.model.answer_parts import share
from reconcile.model.fields import JsonValue, date_view, path

NO_ID = "(no id)"  # what a profile without a readable id is called in a conflict


@dataclass(frozen=True, slots=True)
class Unreadable:
    """The part of a fetched profile that no rule reads, and what came (masked)."""

    field: str
    received: str

    def message(self, profile_id: str) -> str:
        """What plans and export say about it: one line, masked."""
        return (
            f"tenant profile {profile_id} cannot be read: {self.field} is {self.received}; "
            "it is left alone (see docs/tenant-compatibility.md)"
        )


class Read(NamedTuple):
    """A profile as read: identities are ``(id, handle, identifier)``, oldest first."""

    id: str
    profile_type: str
    identities: list[tuple[str, str, str]]
    view: dict[str, JsonValue]
    date_ids: tuple[tuple[str, str], ...]
    unreadable: Unreadable | None


def read_profile(data: Any) -> Read:
    """Read every part of ``data`` that can be read; the first that cannot is named."""
    if type(data) is not dict:
        found = Unreadable("profile", forms.received("profile", data))
        return Read(NO_ID, "active", [], {}, (), found)
    try:
        return _read_at_once(data)
    except UnreadableAnswer:  # read again part by part, to keep what can be read
        return _read_part_by_part(data)


def _read_at_once(data: dict[str, Any]) -> Read:
    """Every part read in turn, stopping at the first that cannot be: no per-part guard, as
    this runs for every fetched profile and almost every one reads."""
    profile_id = forms.text_id(data.get("id"))
    kind = data.get("profile_type") or "active"
    if profile_id is None or type(kind) is not str:
        raise forms.unreadable("id", data.get("id"))  # named exactly by the second reading
    identities = parts.identities(data.get("identities"))
    problems: list[UnreadableAnswer] = []
    view = parts.scalars(data, problems)
    if problems:
        raise problems[0]
    view["tags"] = parts.tags(data.get("tags"))
    attributes = forms.mapping("attributes", data.get("attributes"))
    comms = forms.mapping("attributes.comms", attributes.get("comms"))
    if comms:
        parts.comms(comms, view)
    dates = parts.dates(attributes.get("dates"))
    custom = data.get("custom_attributes")
    if custom:
        parts.custom(custom, view)
    view["addresses"] = parts.addresses(data.get("addresses"))
    return _finished(profile_id, kind, identities, view, dates, None)


def _read_part_by_part(data: dict[str, Any]) -> Read:
    """Each part read on its own: one that cannot be is left out and noted, the rest is read."""
    problems: list[UnreadableAnswer] = []
    profile_id = forms.text_id(data.get("id"))
    if profile_id is None:
        problems.append(forms.unreadable("id", data.get("id")))
    kind = data.get("profile_type") or "active"
    if type(kind) is not str:
        problems.append(forms.unreadable("profile_type", kind))
        kind = "active"
    identities = _part(problems, parts.identities, data.get("identities"), [])
    view = parts.scalars(data, problems)
    view["tags"] = _part(problems, parts.tags, data.get("tags"), [])
    attributes = _part(problems, forms.mapping, ("attributes", data.get("attributes")), {})
    comms = _part(problems, forms.mapping, ("attributes.comms", attributes.get("comms")), {})
    if comms:
        _part(problems, parts.comms, (comms, view), None)
    dates = _part(problems, parts.dates, attributes.get("dates"), {})
    custom = data.get("custom_attributes")
    if custom:
        _part(problems, parts.custom, (custom, view), None)
    view["addresses"] = _part(problems, parts.addresses, data.get("addresses"), [])
    first = Unreadable(problems[0].field, problems[0].received) if problems else None
    return _finished(profile_id or NO_ID, kind, identities, view, dates, first)


def _finished(
    profile_id: str,
    kind: str,
    identities: list[tuple[str, str, str]],
    view: dict[str, JsonValue],
    dates: dict[str, tuple[str, dict[str, Any]]],
    unreadable: Unreadable | None,
) -> Read:
    for identity in reversed(identities):  # the oldest identity of a handle wins
        view[path("identities", identity[1])] = identity[2]
    for handle, (_, item) in dates.items():
        view[path("dates", handle)] = date_view(item)
    date_ids = tuple((handle, ident) for handle, (ident, _) in dates.items())
    return Read(profile_id, share(kind), identities, view, date_ids, unreadable)


def _part(
    problems: list[UnreadableAnswer], reader: Callable[..., Any], arg: Any, empty: Any
) -> Any:
    """``reader``'s result, or ``empty`` with the problem noted (the part is left out)."""
    try:
        return reader(*arg) if type(arg) is tuple else reader(arg)
    except UnreadableAnswer as problem:
        problems.append(problem)
        return empty
