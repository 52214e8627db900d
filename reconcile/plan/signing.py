"""An optional HMAC signature on saved plans, for plans that cross a trust boundary.

A plan's checksum is a plain SHA-256 of its content: it catches an accidental edit, and nothing
else, as anyone can recompute it. When a team's plans travel from a job that runs a pull request's
code to the job that holds the write token, that team sets a key (``RECONCILE_PLAN_KEY``, or the
variable ``plan_key_env`` names) in both jobs' secrets: ``plan`` then signs each plan it saves,
and ``apply`` refuses a plan that is unsigned or signed with another key. A job without the key
cannot make a plan that the applying job accepts.

>>> sign("ab" * 32, b"k")[:12]
'hmac-sha256:'
>>> signature_problem("ab" * 32, sign("ab" * 32, b"k"), b"k") is None
True
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "hmac-sha256:"


def sign(checksum: str, key: bytes) -> str:
    """The signature of a plan whose checksum is ``checksum``."""
    return PREFIX + hmac.new(key, checksum.encode(), hashlib.sha256).hexdigest()


def signature_problem(checksum: str, signature: str, key: bytes) -> str | None:
    """Why ``signature`` does not show that a holder of ``key`` made the plan (None: it does)."""
    if not signature:
        return (
            "the plan is not signed, and a plan key is set: make plans with the same "
            "RECONCILE_PLAN_KEY (or plan_key_env) as apply"
        )
    if not hmac.compare_digest(signature, sign(checksum, key)):
        return "the plan's signature does not match the plan key: made with another key, or edited"
    return None
