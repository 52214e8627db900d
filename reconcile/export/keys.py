"""Stable keys for exported profiles: the name each profile gets in ``profiles.d/``.

In order, a profile's key is: the identifier of its owner identity (it is managed already); the
key of the declaration in the tree that matches it (same identity, email or mobile); the
``--key-template`` (or ``--key-identity``) rendered and slugified; the local part of its email;
``profile-`` and the first 8 characters of its id. A key that is already taken gets a suffix
made from a digest of the profile id, so the suffix never depends on the order profiles arrive in.

Names in any script become readable ASCII (:func:`reconcile.model.ascii.transliterate`).

>>> slugify("José.Álvarez+news")
'jose.alvarez-news'
>>> slugify("zoë.ødegård"), slugify("李雷"), slugify("Владимир")
('zoe.odegard', 'li-lei', 'vladimir')
>>> KeyTemplate.parse("{first_name}-{last_name}").render({"first_name": "Zoë", "last_name": "Li"})
'zoe-li'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from reconcile.errors import ConfigError
from reconcile.model.ascii import transliterate
from reconcile.model.fields import KEY_PATTERN
from reconcile.model.observed import ObservedProfile

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FIELDS = ("email_local", "first_name", "last_name", "id", "id8")
_KEY = re.compile(KEY_PATTERN)
MAX_KEY_LENGTH = 80


def slugify(text: str) -> str:
    """Lower-case ASCII letters, digits, ``.``, ``_`` and ``-``; transliterated, runs collapsed."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", transliterate(text).lower())
    slug = re.sub(r"-{2,}", "-", slug)
    slug = re.sub(r"^[^a-z0-9]+", "", slug)[:MAX_KEY_LENGTH]
    return slug.rstrip("-._")


class KeyTemplate(BaseModel):
    """A key template such as ``{first_name}-{last_name}`` or ``crm-{identity:shopify}``.

    Placeholders: ``email_local``, ``first_name``, ``last_name``, ``id``, ``id8`` and
    ``identity:HANDLE``. A profile missing any of them falls back to the next rule.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    names: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> KeyTemplate:
        names = tuple(_PLACEHOLDER.findall(text))
        unknown = [n for n in names if n not in _FIELDS and not n.startswith("identity:")]
        if not names or unknown:
            shown = ", ".join(f"{{{n}}}" for n in (*_FIELDS, "identity:HANDLE"))
            bad = f"unknown placeholder {{{unknown[0]}}}" if unknown else "no placeholder"
            raise ConfigError(f"--key-template {text!r}: {bad}; use {shown}")
        return cls(text=text, names=names)

    def render(self, values: Mapping[str, str | None]) -> str | None:
        if any(not values.get(name) for name in self.names):
            return None
        return slugify(_PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), self.text)) or None


def template_values(observed: ObservedProfile) -> dict[str, str | None]:
    """What a key template can use, taken from a tenant profile."""
    email = observed.fields.get("email")
    values: dict[str, str | None] = {
        "email_local": email.split("@", 1)[0] if isinstance(email, str) else None,
        "first_name": _text(observed.fields.get("first_name")),
        "last_name": _text(observed.fields.get("last_name")),
        "id": observed.id,
        "id8": observed.id.replace("-", "")[:8],
    }
    for identity in reversed(observed.identities):  # the oldest identity of a handle wins
        values[f"identity:{identity.handle}"] = identity.identifier
    return values


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


class KeyAllocator:
    """Hands out unique keys; remembers every key taken in the tree and in this export."""

    def __init__(self, template: KeyTemplate | None, *, taken: set[str]) -> None:
        self._template = template
        self._taken = set(taken)
        self._assigned: set[str] = set()

    def claim(self, key: str) -> bool:
        """Take a key that already names this profile (owned or declared); False if handed out."""
        if key in self._assigned:
            return False
        self._assigned.add(key)
        self._taken.add(key)
        return True

    def derive(self, observed: ObservedProfile) -> str:
        """A new key for a profile the tree does not know yet."""
        values = template_values(observed)
        rendered = self._template.render(values) if self._template else None
        email_local = slugify(values["email_local"] or "")
        base = next(
            (k for k in (rendered, email_local) if k and _KEY.match(k)),
            "profile-" + slugify(values["id8"] or "x"),
        )
        key = base
        digest = hashlib.sha256(observed.id.encode()).hexdigest()
        width = 6
        while key in self._taken:
            key = f"{base}-{digest[:width]}"
            width += 2
        self._taken.add(key)
        self._assigned.add(key)
        return key
