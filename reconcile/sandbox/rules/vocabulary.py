"""The names Omneo accepts, as the sandbox knows them: profile fields, enums, comms preferences
and custom attribute types, written from ``docs/validation-rules.md``.

The tool has its own copy of this vocabulary on purpose: the sandbox imitates Omneo and imports
nothing of the tool, so a wrong name on one side shows up as a failing test, not a shared bug.

>>> "email_promo" in COMMS_FIELDS, "email_spam" in COMMS_FIELDS
(True, False)
>>> value_has_type("integer", 3), value_has_type("integer", True)
(True, False)
"""

from __future__ import annotations

from typing import Any

GENDERS = ("male", "female", "withheld", "other")
PROFILE_TYPES = ("active", "deleted", "dependant", "incomplete", "pending", "system", "temporary")

# Comms preferences: a flag per channel and kind, a verification state per channel, and the terms.
_CHANNELS = ("email", "sms", "push", "phone", "post")
_KINDS = ("optout", "bounced", "promo", "discover", "benefits", "reminders", "account",
          "bookings", "feedback", "location", "service")  # fmt: skip
COMMS_FLAGS = tuple(f"{channel}_{kind}" for channel in _CHANNELS for kind in _KINDS)
COMMS_VERIFICATIONS = tuple(f"{c}_verification" for c in ("email", "sms", "phone", "post"))
VERIFICATION_STATES = ("sent", "not_sent", "verified")
COMMS_TERMS = ("terms_accepted_at", "terms_accepted_version")
COMMS_FIELDS = COMMS_FLAGS + COMMS_VERIFICATIONS + COMMS_TERMS

CUSTOM_TYPES = ("string", "integer", "float", "boolean", "json", "array")

# attributes.appearance: sizes, measurements and colours, each text or null (the SDK's
# ProfileAppearance type), read and written at /profiles/{id}/attributes/appearance.
_SIZES = ("cup", "hat", "formal_jacket", "formal_jacket_length", "formal_shirt",
          "formal_shirt_fit", "formal_trouser", "formal_trouser_drop", "formal_trouser_leg",
          "jacket", "pant", "shoe", "type_age", "type_region", "top", "gloves", "swimwear_top",
          "swimwear_bottom", "swimwear_cup", "dress")  # fmt: skip
_MEASUREMENTS = ("arm", "arm_inside", "bust", "chest", "foot_length", "head", "height", "hip",
                 "leg_inside", "leg_outside", "neck", "neck_to_wrist", "shoulders", "waist",
                 "weight")  # fmt: skip
_FINGERS = tuple(f"hand_{side}_{finger}" for side in ("right", "left")
                 for finger in ("thumb", "index", "middle", "ring", "pinky"))  # fmt: skip
_EARS = ("ear_helix", "ear_forward_helix", "ear_flat", "ear_conch", "ear_tragus", "ear_lobe")
APPEARANCE_FIELDS = (
    "hair_colour", "hair_length", "shape_body", "shape_face",
    *(f"size_{name}" for name in _SIZES), "skin_type",
    *(f"measurement_{name}" for name in _MEASUREMENTS), "brow_colour", "eye_colour",
    *(f"measurement_{name}" for name in (*_FINGERS, *_EARS)),
)  # fmt: skip

# Writable scalar fields of a profile, in the order of the API's profile object.
PROFILE_FIELDS = (
    "title", "first_name", "last_name", "email", "mobile_phone", "secondary_phone", "birth_day",
    "birth_month", "birth_year", "gender", "company", "occupation", "currency", "joined_at",
    "avatar_url", "joined_location_id", "preferred_location_id",
)  # fmt: skip

# A profile date's text fields (its `date`, `is_recurring` and `meta` are checked on their own).
DATE_TEXT_FIELDS = ("type", "recurring_schedule", "name", "handle", "relationship", "description",
                    "note")  # fmt: skip


def value_has_type(kind: str, value: Any) -> bool:
    """Whether ``value`` fits custom attribute type ``kind`` (``kind`` must be in CUSTOM_TYPES).

    A boolean is not a number; a ``float`` accepts integers; ``json`` is an object or a list.
    """
    if isinstance(value, bool):
        return kind == "boolean"
    checks: dict[str, bool] = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int),
        "float": isinstance(value, int | float),
        "boolean": False,
        "json": isinstance(value, dict | list),
        "array": isinstance(value, list),
    }
    return checks[kind]
