"""Validators of a profile's nested parts: identities, comms preferences, custom attributes,
addresses. Used for whole profiles (``validation.py``) and by the sub-resource routes."""

from __future__ import annotations

from typing import Any

from reconcile.sandbox.jsonio import dumps
from reconcile.sandbox.rules.errorbag import Errors
from reconcile.sandbox.rules.limits import (
    MAX_ADDRESSES,
    MAX_CUSTOM_ATTRIBUTES,
    MAX_CUSTOM_VALUE,
    MAX_IDENTITIES,
    MAX_STRING,
    too_many,
)
from reconcile.sandbox.rules.messages import message
from reconcile.sandbox.rules.vocabulary import (
    COMMS_FIELDS,
    COMMS_TERMS,
    COMMS_VERIFICATIONS,
    CUSTOM_TYPES,
    VERIFICATION_STATES,
    value_has_type,
)

ADDRESS_REQUIRED = ("address_line_1", "city", "postcode", "country", "state")


def validate_identities(
    value: Any, errors: Errors, prefix: str = "identities"
) -> list[dict[str, Any]]:
    """Identity inputs ``{handle, identifier, is_active?, is_primary?}``; numbers become text."""
    if not isinstance(value, list):
        errors.add(prefix, message("identities", "array"))
        return []
    if too_many(value, prefix, MAX_IDENTITIES, errors):
        return []
    found: dict[str, dict[str, Any]] = {}  # by handle: the distinct check stays linear
    for index, item in enumerate(value):
        identity = validate_identity(item if isinstance(item, dict) else {}, errors, index, prefix)
        if identity is None:
            continue
        if identity["handle"] in found:
            errors.add(
                f"{prefix}.{index}.handle", message("identities.*.handle", "distinct", index)
            )
        else:
            found[identity["handle"]] = identity
    return list(found.values())


def validate_identity(
    item: dict[str, Any], errors: Errors, index: int | None = None, prefix: str = "identities"
) -> dict[str, Any] | None:
    """One identity; with ``index=None`` the error paths are the bare field names."""
    path = "" if index is None else f"{prefix}.{index}."
    label = "None" if index is None else index  # "identities.None." is then cut from the message
    found: dict[str, Any] = {}
    for name in ("handle", "identifier"):
        text = item.get(name)
        if isinstance(text, int) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str) or not text.strip():
            rule_text = message(f"identities.*.{name}", "required", label)
            errors.add(f"{path}{name}", rule_text.replace("identities.None.", ""))
        elif len(text) > MAX_STRING:
            rule_text = message(f"identities.*.{name}", "max:255", label)
            errors.add(f"{path}{name}", rule_text.replace("identities.None.", ""))
        else:
            found[name] = text.strip()
    for flag in ("is_active", "is_primary"):
        if flag in item and not isinstance(item[flag], bool):
            rule_text = message("identities.*.is_active", "boolean", label).replace(
                "is_active", flag
            )
            errors.add(f"{path}{flag}", rule_text.replace("identities.None.", ""))
        elif flag in item:
            found[flag] = item[flag]
    return found if len({"handle", "identifier"} & set(found)) == 2 else None


def validate_comms(value: Any, errors: Errors, prefix: str = "attributes.comms") -> dict[str, Any]:
    """Comms preference flags: known names only; flags boolean or null."""
    if not isinstance(value, dict):
        errors.add(prefix, message("attributes.comms", "object"))
        return {}
    clean: dict[str, Any] = {}
    for key, flag in value.items():
        path = f"{prefix}.{key}"
        if key not in COMMS_FIELDS:
            errors.add(path, message("attributes.comms.*", "known", key=key))
        elif key in COMMS_VERIFICATIONS:
            if flag is not None and flag not in VERIFICATION_STATES:
                rule = "in:sent,not_sent,verified"
                errors.add(path, message("attributes.comms.*_verification", rule, key=key))
            clean[key] = flag
        elif key in COMMS_TERMS:
            # Text or null (docs/validation-rules.md): a boolean, as the SDK's type allows, is
            # refused rather than stored as the text "True".
            if flag is not None and not isinstance(flag, str):
                errors.add(path, message(f"attributes.comms.{key}", "string"))
            else:
                clean[key] = flag
        elif flag is not None and not isinstance(flag, bool):
            errors.add(path, message("attributes.comms.*", "boolean", key=key))
        else:
            clean[key] = flag
    return clean


def check_custom_value(kind: Any, value: Any) -> tuple[bool, bool]:
    """Whether ``kind`` is a known type, and whether ``value`` is of that type."""
    if kind not in CUSTOM_TYPES:
        return False, False
    return True, value_has_type(kind, value)


def custom_value_too_long(value: Any) -> bool:
    """Whether a custom value is over its limit: a string's length, or any other value's JSON."""
    if isinstance(value, str):
        return len(value) > MAX_CUSTOM_VALUE
    if isinstance(value, list | dict):
        return len(dumps(value)) > MAX_CUSTOM_VALUE
    return False


def custom_attributes(value: Any, errors: Errors) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        errors.add("custom_attributes", message("custom_attributes", "array"))
    items = value if isinstance(value, list) else []
    if too_many(items, "custom_attributes", MAX_CUSTOM_ATTRIBUTES, errors):
        return []
    clean: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        path = f"custom_attributes.{index}"
        ok = True
        for name in ("namespace", "handle"):
            rule = "required" if not isinstance(item.get(name), str) or not item[name] else ""
            rule = rule or ("max:255" if len(item[name]) > MAX_STRING else "")
            if rule:
                text = message("custom_attributes.*.namespace", rule, index)
                errors.add(f"{path}.{name}", text.replace("namespace", name))
                ok = False
        known, matches = check_custom_value(item.get("type"), item.get("value"))
        if not known:
            rule = "in:" + ",".join(CUSTOM_TYPES)
            errors.add(f"{path}.type", message("custom_attributes.*.type", rule, index))
        elif not matches:
            errors.add(f"{path}.value", message("custom_attributes.*.value", "matches type", index))
        elif custom_value_too_long(item.get("value")):
            errors.add(f"{path}.value", message("custom_attributes.*.value", "max:65535", index))
            ok = False
        if ok and known and matches:
            clean.append({k: item[k] for k in ("namespace", "handle", "type", "value")})
    return clean


def validate_addresses(value: Any, errors: Errors) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        errors.add("addresses", message("addresses", "array"))
    items = value if isinstance(value, list) else []
    if too_many(items, "addresses", MAX_ADDRESSES, errors):
        return []
    clean: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        address_field_errors(item, errors, index)
        for name in ADDRESS_REQUIRED:
            if not item.get(name):
                text = message("addresses.*.address_line_1", "required", index)
                errors.add(f"addresses.{index}.{name}", text.replace("address_line_1", name))
        clean.append(dict(item))
    return clean


def address_field_errors(item: dict[str, Any], errors: Errors, index: int | None = None) -> None:
    """Every field a string of at most 255 characters (or null), ``is_default`` a boolean,
    ``meta`` an object (the SDK's Address type); ``id`` is the sandbox's own. With
    ``index=None`` the error paths are the bare field names."""
    for name, field_value in item.items():
        path = name if index is None else f"addresses.{index}.{name}"
        if name == "id" or field_value is None:
            continue
        if name == "meta":
            rule, template = "object", "addresses.*.meta"
            if isinstance(field_value, dict):
                continue
        elif name == "is_default":
            rule, template = "boolean", "addresses.*.is_default"
            if isinstance(field_value, bool):
                continue
        elif not isinstance(field_value, str):
            rule, template = "string", "addresses.*.*"
        elif len(field_value) > MAX_STRING:
            rule, template = "max:255", "addresses.*.*"
        else:
            continue
        text = message(template, rule).replace("*", str(index), 1).replace("*", name, 1)
        errors.add(path, text.replace("addresses.None.", "") if index is None else text)
