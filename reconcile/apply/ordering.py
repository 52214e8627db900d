"""Order changes so that Omneo's uniqueness rules never reject a write the plan needs.

An email, a mobile number and an identity (handle, identifier) each live on at most one profile.
A change that *frees* such a value (an update moving away from it, a purge) must run
before the change that *takes* it. Two changes that each take what the other frees (two profiles
swapping emails) form a cycle; one of them is split in two: a ``free`` step first parks its
contested values (a temporary email, no mobile, the identity removed), then the other change runs,
then its ``write`` step completes it.

>>> a = Claims(key="a", frees={("email", "a@x.io")}, takes={("email", "b@x.io")})
>>> b = Claims(key="b", frees={("email", "b@x.io")}, takes={("email", "a@x.io")})
>>> [(s.id, s.after) for s in schedule([a, b]).steps]
[('a#free', ()), ('b', ('a#free',)), ('a', ('a#free', 'b'))]
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from reconcile.errors import OrderingError
from reconcile.model.fields import JsonValue, is_unique_field
from reconcile.model.mask import mask_value
from reconcile.model.observed import ObservedProfile

UniqueValue = tuple[
    str, str
]  # (flat-view field, value): ("email", "a@x.io"), ("identities.pos", "7")
TEMPORARY_EMAIL_DOMAIN = "reconcile.example"  # RFC 2606: can never reach a real mailbox


def temporary_email(key: str) -> str:
    """A deterministic, valid, undeliverable email that parks a profile's address during a swap."""
    return f"swap-{hashlib.sha256(key.encode()).hexdigest()[:16]}@{TEMPORARY_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class Claims:
    """The unique values one change gives up and takes."""

    key: str
    frees: frozenset[UniqueValue] | set[UniqueValue] = field(default_factory=frozenset)
    takes: frozenset[UniqueValue] | set[UniqueValue] = field(default_factory=frozenset)


def claims_for(
    key: str,
    action: str,
    target: Mapping[str, JsonValue],
    fields: Iterable[str],
    observed: ObservedProfile | None,
) -> Claims:
    """What a change frees and takes, from the values it writes and the tenant's current ones."""
    current = observed.fields if observed is not None else {}
    if action == "delete":  # a soft-deleted profile keeps its values: it frees nothing
        return Claims(key=key)
    if action == "purge":
        held = {(n, str(v)) for n, v in current.items() if is_unique_field(n) and v is not None}
        return Claims(key=key, frees=frozenset(held))
    frees: set[UniqueValue] = set()
    takes: set[UniqueValue] = set()
    for name in sorted(set(fields)):
        if not is_unique_field(name) or name not in target:
            continue
        before, after = current.get(name), target[name]
        if before == after:
            continue
        if before is not None:
            frees.add((name, str(before)))
        if after is not None:
            takes.add((name, str(after)))
    return Claims(key=key, frees=frozenset(frees), takes=frozenset(takes))


class Step(BaseModel):
    """One unit of work: a whole change (``write``), or the first half of a split one (``free``).

    ``parks``: the values a ``free`` step gives up for a while; ``after``: the steps it waits for.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    phase: Literal["free", "write"] = "write"
    after: tuple[str, ...] = ()
    parks: tuple[UniqueValue, ...] = ()

    @property
    def id(self) -> str:
        return self.key if self.phase == "write" else f"{self.key}#free"


class Schedule(BaseModel):
    model_config = ConfigDict(frozen=True)

    steps: tuple[Step, ...]
    split: tuple[str, ...] = ()  # keys whose change was split to break a cycle


def schedule(claims: Iterable[Claims]) -> Schedule:
    """Steps in a valid order, each naming the steps it must wait for."""
    by_key = {c.key: c for c in sorted(claims, key=lambda c: c.key)}
    taker = _takers(by_key.values())
    edges: dict[str, set[str]] = {key: set() for key in by_key}  # step id -> steps after it
    for claim in by_key.values():
        for value in claim.frees:
            other = taker.get(value)
            if other is not None and other != claim.key:
                edges[claim.key].add(other)
    split: list[str] = []
    # no edge, no cycle: most plans (a field changed everywhere) skip the search
    while any(edges.values()) and (cyclic := [c for c in _components(edges) if len(c) > 1]):
        for component in cyclic:
            key = min(component)  # split nodes cannot be on a cycle: no edge enters a free step
            _split(edges, key)
            split.append(key)
    parks = {key: tuple(sorted(v for v in by_key[key].frees if v in taker)) for key in split}
    return Schedule(steps=_steps(edges, parks), split=tuple(sorted(split)))


def _takers(claims: Iterable[Claims]) -> dict[UniqueValue, str]:
    taker: dict[UniqueValue, str] = {}
    for claim in claims:
        for value in sorted(claim.takes):
            if value in taker:
                shown = mask_value(value[0], value[1])
                raise OrderingError(
                    f"{taker[value]} and {claim.key} both take {value[0]} {shown}: "
                    "fix profiles.d/ and plan again"
                )
            taker[value] = claim.key
    return taker


def _split(edges: dict[str, set[str]], key: str) -> None:
    """``key`` becomes ``key#free`` (gives values up) then ``key`` (takes its new values)."""
    free = f"{key}#free"
    edges[free] = edges[key] | {key}
    edges[key] = set()


def _steps(
    edges: dict[str, set[str]], parks: dict[str, tuple[UniqueValue, ...]]
) -> tuple[Step, ...]:
    before: dict[str, set[str]] = {node: set() for node in edges}
    for node, successors in edges.items():
        for successor in successors:
            before[successor].add(node)
    ordered: list[Step] = []
    for node in _topological(edges, before):
        key, _, phase = node.partition("#")
        ordered.append(
            Step(
                key=key,
                phase="free" if phase else "write",
                after=tuple(sorted(before[node])),
                parks=parks.get(key, ()) if phase else (),
            )
        )
    return tuple(ordered)


def _topological(edges: dict[str, set[str]], before: dict[str, set[str]]) -> list[str]:
    waiting = {node: len(preds) for node, preds in before.items()}
    ready = sorted(node for node, count in waiting.items() if count == 0)
    ordered: list[str] = []
    while ready:
        node = ready.pop(0)
        ordered.append(node)
        for successor in sorted(edges[node]):
            waiting[successor] -= 1
            if waiting[successor] == 0:
                ready.append(successor)
    if len(ordered) != len(edges):  # cannot happen once every cycle is split; guard regardless
        stuck = sorted(node for node, count in waiting.items() if count)
        raise OrderingError(f"cannot order the changes of {', '.join(stuck[:10])}")
    return ordered


def _components(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan's algorithm, iterative: plans can be large)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                successor = pending.pop()
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, sorted(edges[successor])))
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found
