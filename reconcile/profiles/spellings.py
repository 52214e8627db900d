"""Warnings about one tag spelt two ways across the tree (``VIP`` and ``vip``, ``mobile app``
and ``mobile-app``).

Omneo keeps a tag's case and turns its spaces into hyphens, so ``VIP`` and ``vip`` are two tags
that were most likely meant as one, and ``mobile app`` and ``mobile-app`` are one tag written two
ways. Neither is an error (the tree is valid), so ``validate`` reports them as warnings, each at the
line of a spelling that differs from the first one seen.

>>> uses = [("vip", "a.yaml", 2, "ann", "tags.0"), ("VIP", "b.yaml", 3, "bob", "tags.1")]
>>> print(*spelt_two_ways(uses))
b.yaml:3: bob: tags.1: 'VIP' is also spelt 'vip' (a.yaml:2); Omneo keeps case, ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from reconcile.errors import Problem
from reconcile.profiles.uniqueness import LoadedProfile

# A tag as declared, and where: (spelling, file, line, key, path).
TagUse = tuple[str, str, int, str, str]
_SPACES = re.compile(r"\s+")


def tag_uses(loaded: Iterable[LoadedProfile]) -> Iterator[TagUse]:
    """The first use of each spelling (a spelling's later uses add no warning), in order."""
    seen: set[str] = set()
    for item in loaded:
        for index, spelling in enumerate(item.tags):
            if spelling not in seen:
                seen.add(spelling)
                path = f"tags.{index}"
                yield spelling, item.file, item.line_of(path), item.profile.key, path


def spelt_two_ways(uses: Iterable[TagUse]) -> list[str]:
    """One warning for each spelling of a tag other than the first one seen."""
    first: dict[str, TagUse] = {}  # folded tag → its first use
    seen: set[str] = set()
    warnings: list[str] = []
    for use in uses:
        spelling, file, line, key, path = use
        if spelling in seen:
            continue
        seen.add(spelling)
        original = first.setdefault(_folded(spelling), use)
        if original is use:
            continue
        why = (
            "Omneo keeps case, so these are two tags"
            if _hyphened(spelling) != _hyphened(original[0])
            else "Omneo turns spaces into hyphens, so these are one tag"
        )
        where = f"{original[1]}:{original[2]}"
        message = f"{spelling!r} is also spelt {original[0]!r} ({where}); {why}: pick one spelling"
        warnings.append(str(Problem(file, line, key, path, message)))
    return warnings


def _hyphened(tag: str) -> str:
    return _SPACES.sub("-", tag.strip())


def _folded(tag: str) -> str:
    return _hyphened(tag).lower()
