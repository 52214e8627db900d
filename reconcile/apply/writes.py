"""Per-change writes, one request per profile where the tenant allows it, safe to repeat.

Every write compares the value it wants with the profile as it is now and sends only what
differs, so a retried or resumed change converges instead of repeating itself:

- scalar fields and tags: ``PUT /profiles/{id}`` with only the changed fields (the whole tag list
  when tags change, as Omneo replaces tags whole);
- identities, comms flags, custom attributes, addresses and dates: inline in that same body (and
  in a create's ``POST``), as the batch endpoint documents them, for as long as the tenant's
  answers show them stored (``InlineParts``); otherwise, and for a removal, through their own
  endpoints:
- identities: ``POST``/``PUT``/``DELETE /profiles/{id}/identities[/{handle}]``;
- comms flags: ``PUT /profiles/{id}/attributes/comms``; custom attributes:
  ``PUT /profiles/{id}/attributes/custom/{namespace}:{handle}`` (``DELETE`` for a null);
- addresses, position by position: ``PUT``/``POST``/``DELETE /profiles/{id}/addresses[/{id}]``;
- a restore, before any of these: ``PUT /profiles/{id}/update-type`` back to ``active``; a rename
  is the owner identity's ``PUT``.

A POST whose answer was lost (connection dropped, 5xx) may have been processed, so it is never
simply sent again: a create is first looked up by its owner identity, an added identity by
re-reading the profile.

>>> writer = Writer(client, owner="reconcile")                          # doctest: +SKIP
>>> profile = await writer.create("jane", target_view, fields)        # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

from reconcile.apply.bodies import (
    PART_KINDS,
    PartKind,
    TargetProfile,
    address_body,
    comms,
    create_body,
    custom_attribute,
    dates,
    inline_parts,
    part_kind,
    profile_fields,
)
from reconcile.apply.ordering import UniqueValue, temporary_email
from reconcile.errors import ApiError, TransportError
from reconcile.model.fields import ADDRESS_FIELDS, JsonValue, date_input
from reconcile.model.observed import ObservedProfile
from reconcile.tenant.client import OmneoClient

T = TypeVar("T")


def outcome_unknown(exc: ApiError) -> bool:
    """The request may or may not have been processed: no answer, or a server error."""
    return isinstance(exc, TransportError) or (exc.status or 0) >= 500


class InlineParts:
    """Which profile parts this tenant takes inline in ``POST``/``PUT /profiles``, as learnt from
    the answers of this run's writes: unknown parts are tried inline, and a part whose answer
    does not show it stored is written through its own endpoint from then on."""

    def __init__(self) -> None:
        self.known: dict[PartKind, bool] = {}

    def to_try(self) -> tuple[PartKind, ...]:
        return tuple(kind for kind in PART_KINDS if self.known.get(kind, True))

    def learn(
        self, sent: Iterable[str], answer: ObservedProfile, view: Mapping[str, JsonValue]
    ) -> None:
        """Record, for each part of the fields ``sent`` inline, whether the answer stored it."""
        for name in sent:
            kind = part_kind(name)
            if kind is None or view.get(name) is None:
                continue
            stored = answer.fields.get(name) == view[name]
            self.known[kind] = self.known.get(kind, True) and stored

    def describe(self) -> str | None:
        """Which path the parts took, for the apply summary; ``None`` when none was written."""
        inline = [kind for kind in PART_KINDS if self.known.get(kind) is True]
        apart = [kind for kind in PART_KINDS if self.known.get(kind) is False]
        if not inline and not apart:
            return None
        if not apart:
            return "profile parts written inline"
        if not inline:
            return "profile parts written through their own endpoints"
        return (
            f"profile parts inline: {', '.join(inline)}; "
            f"through their own endpoints: {', '.join(apart)}"
        )


class Writer:
    """Carries out one change at a time against ``client``; between changes it keeps only what
    it learnt of the tenant (``parts``: which profile parts it takes inline)."""

    def __init__(self, client: OmneoClient, *, owner: str) -> None:
        self.client = client
        self.owner = owner
        self.parts = InlineParts()

    # -- actions ---------------------------------------------------------------------------

    async def create(self, target: TargetProfile, fields: Iterable[str]) -> ObservedProfile:
        """Create the profile with the owner identity and, where the tenant takes them, its
        other parts inline; then write what the answer does not show stored."""
        kinds = self.parts.to_try()
        body = {**create_body(target), **inline_parts(target, target.view, kinds)}
        if "dates" in kinds and (inputs := dates(target.view)):
            body["dates_attributes"] = inputs

        async def lost_answer() -> ObservedProfile | None:
            return await self.client.find_by_identity(self.owner, target.key)

        created = await self._post(lambda: self.client.create_profile(body), lost_answer)
        # identities are a create's own (documented): what the answer tells is about the rest
        sent = [
            name
            for name in target.view
            if part_kind(name) in kinds and part_kind(name) != "identities"
        ]
        self.parts.learn(sent, created, target.view)
        return await self.converge(created, target, fields)

    async def converge(
        self, observed: ObservedProfile, target: TargetProfile, fields: Iterable[str]
    ) -> ObservedProfile:
        """Bring ``fields`` of ``observed`` to their target values in one ``PUT`` where the tenant
        takes the parts inline, else through their own endpoints; returns the profile as the
        ``PUT`` answered it (``observed`` when its answer was not needed: callers want its id)."""
        view = target.view
        wanted = [f for f in sorted(set(fields)) if f in view]
        differ = [f for f in wanted if observed.fields.get(f) != view[f]]
        if not differ:
            return observed
        body = profile_fields(view, differ)
        dates = await self._clear_dates(
            observed, view, [f for f in differ if f.startswith("dates.")]
        )
        if dates:
            body["dates_attributes"] = dates
        kinds = tuple(kind for kind in self.parts.to_try() if kind != "dates")
        body.update(inline_parts(target, differ, kinds))
        current = observed
        inline = [f for f in differ if part_kind(f) in kinds]
        if inline:
            current = await self.client.update_profile(observed.id, body)
            self.parts.learn(inline, current, view)
        elif body:  # scalars and tags only: nothing to learn from the answer, left untyped
            await self.client.update_profile_fields(observed.id, body)
        rest = [
            f
            for f in differ
            if part_kind(f) not in (None, "dates") and current.fields.get(f) != view[f]
        ]
        await self._separately(current, target, rest)
        return current

    async def _separately(
        self, observed: ObservedProfile, target: TargetProfile, differ: list[str]
    ) -> None:
        """Write identities, comms, custom attributes and addresses through their endpoints."""
        view = target.view
        for name in (f for f in differ if f.startswith("identities.")):
            await self._set_identity(observed, name.removeprefix("identities."), view[name])
        flags = comms(view, differ)
        if flags:
            await self.client.update_comms(observed.id, flags)
        for name in (f for f in differ if f.startswith("custom_attributes.")):
            namespace, handle = custom_attribute(name)
            if view[name] is None:
                await self.client.delete_custom_attribute(observed.id, namespace, handle)
                continue
            kind = target.custom_types.get(name, "string")
            await self.client.put_custom_attribute(observed.id, namespace, handle, kind, view[name])
        if "addresses" in differ:
            addresses = view["addresses"]
            listed = addresses if isinstance(addresses, list) else []
            await self._set_addresses(observed.id, [a for a in listed if isinstance(a, dict)])

    async def park(self, observed: ObservedProfile, values: Iterable[UniqueValue]) -> None:
        """Give up unique values for a while (the first half of a swap): a temporary email,
        no mobile number, the identity removed."""
        body: dict[str, JsonValue] = {}
        for name, _ in values:
            if name == "email":
                body["email"] = temporary_email(observed.identifier(self.owner) or observed.id)
            elif name == "mobile_phone":
                body["mobile_phone"] = None
            elif name.startswith("identities."):
                await self._ignore_missing(
                    self.client.delete_identity(observed.id, name.removeprefix("identities."))
                )
        if body:
            await self.client.update_profile(observed.id, body)

    async def restore(self, observed: ObservedProfile) -> ObservedProfile:
        """Undo a soft delete; the profile as it is now live (its values were kept)."""
        await self.client.restore_profile(observed.id)
        return observed.model_copy(update={"profile_type": "active"})

    async def delete(self, profile_id: str) -> None:
        # A retry after a lost answer finds the profile gone: that is the outcome we wanted.
        await self._ignore_missing(self.client.delete_profile(profile_id))

    async def purge(self, profile_id: str) -> None:
        await self._ignore_missing(self.client.purge_profile(profile_id))

    # -- helpers ---------------------------------------------------------------------------

    async def _set_identity(
        self, observed: ObservedProfile, handle: str, identifier: JsonValue
    ) -> None:
        if identifier is None:
            await self._ignore_missing(self.client.delete_identity(observed.id, handle))
        elif observed.identifier(handle) is None:

            async def add() -> bool:
                await self.client.add_identity(observed.id, handle, str(identifier))
                return True

            async def landed() -> bool | None:
                current = await self.client.get_profile(observed.id)
                return True if current and current.identifier(handle) == identifier else None

            await self._post(add, landed)
        else:
            await self.client.update_identity(observed.id, handle, str(identifier))

    async def _clear_dates(
        self, observed: ObservedProfile, view: Mapping[str, JsonValue], names: list[str]
    ) -> list[JsonValue]:
        """Delete the dates that go or change relationship; the inputs that add or update the
        rest (a date is updated in place only under the same handle and relationship)."""
        inputs: list[JsonValue] = []
        for name in names:
            handle, wanted, seen = (
                name.removeprefix("dates."),
                view[name],
                observed.fields.get(name),
            )
            date_id = observed.date_id(handle)
            moved = (
                isinstance(wanted, dict)
                and isinstance(seen, dict)
                and (wanted.get("relationship") != seen.get("relationship"))
            )
            if date_id is not None and (wanted is None or moved):
                await self._ignore_missing(self.client.delete_date(observed.id, date_id))
            if isinstance(wanted, dict):
                inputs.append(date_input(handle, wanted))
        return inputs

    async def _set_addresses(self, profile_id: str, wanted: list[dict[str, JsonValue]]) -> None:
        """Make the address list equal ``wanted``, position by position, through the address
        endpoints: change those that differ, add the missing, delete the extra."""
        current = await self.client.list_addresses(profile_id)
        for position, address in enumerate(wanted):
            body = address_body(address)
            if position < len(current):
                if current[position].fields != _address(address):
                    await self.client.update_address(profile_id, current[position].id, body)
                continue

            async def add(body: dict[str, JsonValue] = body) -> bool:
                await self.client.add_address(profile_id, body)
                return True

            async def landed(position: int = position, address: JsonValue = address) -> bool | None:
                now = await self.client.list_addresses(profile_id)
                return True if len(now) > position and now[position].fields == address else None

            await self._post(add, landed)
        for extra in current[len(wanted) :]:
            await self._ignore_missing(self.client.delete_address(profile_id, extra.id))

    async def _post(
        self,
        send: Callable[[], Awaitable[T]],
        lost_answer: Callable[[], Awaitable[T | None]],
    ) -> T:
        """Send a POST; when its answer is lost, look for its effect before sending it again."""
        policy = self.client.retry_policy
        for attempt in range(1, policy.attempts + 1):
            try:
                return await send()
            except ApiError as exc:
                if not outcome_unknown(exc) or attempt == policy.attempts:
                    raise
            found = await lost_answer()
            if found is not None:
                return found
            await asyncio.sleep(policy.delay(attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    @staticmethod
    async def _ignore_missing(call: Awaitable[None]) -> None:
        try:
            await call
        except ApiError as exc:
            if exc.status != 404:
                raise


def _address(address: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """An address as the plan compares it: the managed fields that are set (no ``id``)."""
    return {name: address.get(name) for name in ADDRESS_FIELDS if address.get(name) is not None}
