"""JSON at C speed, for the tool's own data: the one seam for msgspec.

The tenant's answers (``tenant/wire.py``, which judges what this refuses by the standard
library's rules) and the parse cache (``profiles/cache.py``) are decoded here, at a fraction of
``json.loads``'s cost (docs/performance.md); the cache is encoded here too. Values come back as
``json`` gives them (``dict``, ``list``, ``str``, ``int`` of any size, ``float``, ``bool``,
``None``).

>>> decode(encode({"email": "zoë@example.com", "points": 2**70}))
{'email': 'zoë@example.com', 'points': 1180591620717411303424}
"""

from __future__ import annotations

from typing import Any

import msgspec

DecodeError = msgspec.DecodeError
_DECODER = msgspec.json.Decoder()
_ENCODER = msgspec.json.Encoder()


def decode(data: bytes) -> Any:
    """Plain values from JSON text; :data:`DecodeError` for anything that is not strict JSON."""
    return _DECODER.decode(data)


def encode(value: Any) -> bytes:
    """Compact UTF-8 JSON (no spaces, text not escaped to ASCII)."""
    return _ENCODER.encode(value)
