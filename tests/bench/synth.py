"""Deterministic synthetic profiles for the benchmark: the same ``i`` always gives the same profile.

Omneo-shaped, like the profiles behind the library costs in docs/performance.md: about 20
fields, three identities (the owner identity included), tags, comms flags, custom attributes and
one address. Each profile is written two ways: as a ``profiles.d/`` declaration
(:func:`declared`, :func:`write_tree`) and as the API body that puts exactly that profile on a
tenant (:func:`api_body`), so a seeded tenant is in steady state with the tree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OWNER = "reconcile"
FIRST = ("Ava", "Noah", "Mia", "Leo", "Zoe", "Jack", "Ruby", "Liam", "Isla", "Theo", "Ella")
LAST = ("Nguyen", "Smith", "Patel", "Brown", "Wilson", "Taylor", "Martin", "Lee", "Walker")
TITLES = ("Mr", "Ms", "Dr", "Mx")
GENDERS = ("male", "female", "withheld", "other")
TIERS = ("bronze", "silver", "gold", "platinum")
CITIES = (("Melbourne", "VIC", "3000"), ("Sydney", "NSW", "2000"), ("Brisbane", "QLD", "4000"))


def key(i: int) -> str:
    return f"bench-{i:06d}"


def declared(i: int) -> dict[str, Any]:
    """Profile ``i`` as a profiles.d/ declaration (values already in normalised form)."""
    city, state, postcode = CITIES[i % len(CITIES)]
    tags = sorted({"bench", f"cohort-{i % 10}", *(["vip"] if i % 5 == 0 else [])})
    return {
        "key": key(i),
        "title": TITLES[i % len(TITLES)],
        "first_name": FIRST[i % len(FIRST)],
        "last_name": LAST[(i // 7) % len(LAST)],
        "email": f"bench.{i:06d}@example.com",
        "mobile_phone": f"+614{10_000_000 + i:08d}",
        "birth_day": 1 + i % 28,
        "birth_month": 1 + i % 12,
        "birth_year": 1950 + i % 50,
        "gender": GENDERS[i % len(GENDERS)],
        "company": f"Company {i % 97}",
        "occupation": "Engineer" if i % 2 else "Designer",
        "currency": "AUD",
        "tags": tags,
        "identities": {"shopify": f"sh-{i:06d}", "pos": f"pos-{i:06d}"},
        "attributes": {
            "comms": {"email_promo": i % 2 == 0, "sms_promo": i % 3 == 0, "email_optout": False}
        },
        "custom_attributes": {"loyalty": {"tier": TIERS[i % len(TIERS)], "points": i % 1000}},
        "addresses": [
            {
                "address_line_1": f"{1 + i % 400} Bench Street",
                "city": city,
                "state": state,
                "postcode": postcode,
                "country": "AU",
            }
        ],
    }


def api_body(i: int) -> dict[str, Any]:
    """The create body (Omneo API v3 shapes) that puts profile ``i`` on a tenant, owned."""
    profile = declared(i)
    identities = [{"handle": OWNER, "identifier": profile.pop("key")}]
    identities += [{"handle": h, "identifier": v} for h, v in sorted(profile["identities"].items())]
    profile["identities"] = identities
    profile["custom_attributes"] = [
        {"namespace": ns, "handle": h, "type": _custom_type(v), "value": v}
        for ns, handles in sorted(profile["custom_attributes"].items())
        for h, v in sorted(handles.items())
    ]
    return profile


def _custom_type(value: Any) -> str:
    return "integer" if isinstance(value, int) else "string"


def write_tree(
    profiles_dir: Path, indices: range, per_file: int = 100, *, addresses: bool = True
) -> None:
    """Write the declarations of ``indices`` as YAML files of ``per_file`` profiles each.

    ``addresses=False`` leaves addresses undeclared (unmanaged): apply cannot write them yet.
    """
    profiles_dir.mkdir(parents=True, exist_ok=True)
    for start in range(indices.start, indices.stop, per_file):
        chunk = range(start, min(start + per_file, indices.stop))
        profiles = (declared(i) for i in chunk)
        if not addresses:
            profiles = ({k: v for k, v in p.items() if k != "addresses"} for p in profiles)
        text = "profiles:\n" + "".join(_yaml_profile(p) for p in profiles)
        (profiles_dir / f"part-{start // per_file:05d}.yaml").write_text(text, encoding="utf-8")


def _yaml_profile(profile: dict[str, Any]) -> str:
    """Block-style YAML, as a person writes it; strings double-quoted (JSON escapes are YAML's)."""
    lines = []
    for name, value in profile.items():
        lines.extend(_yaml_lines(name, value, indent=4))
    lines[0] = "  - " + lines[0].lstrip()
    return "\n".join(lines) + "\n"


def _yaml_lines(name: str, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        lines = [f"{pad}{name}:"]
        for child, child_value in value.items():
            lines.extend(_yaml_lines(child, child_value, indent + 2))
        return lines
    if isinstance(value, list) and value and isinstance(value[0], dict):
        lines = [f"{pad}{name}:"]
        for item in value:
            item_lines = []
            for child, child_value in item.items():
                item_lines.extend(_yaml_lines(child, child_value, indent + 4))
            item_lines[0] = f"{pad}  - " + item_lines[0].lstrip()
            lines.extend(item_lines)
        return lines
    return [f"{pad}{name}: {json.dumps(value)}"]
