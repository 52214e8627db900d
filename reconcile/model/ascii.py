"""Readable ASCII for text in any script: the one seam for ``anyascii``.

Export keys and fake seed emails both need a name spelt in ASCII, from names in any script.

>>> transliterate("zoë.ødegård"), transliterate("李雷"), transliterate("Łukasz")
('zoe.odegard', 'Li Lei', 'Lukasz')
"""

from __future__ import annotations

import unicodedata

from anyascii import anyascii


def transliterate(text: str) -> str:
    """Each character spelt in ASCII; a syllable of Chinese or Korean is a word of its own."""
    parts: list[str] = []
    apart = False
    for char in unicodedata.normalize("NFC", text):
        spelt = anyascii(char)
        # anyascii capitalises each syllable of an uncased script (李 → "Li"): a word boundary,
        # so 李雷 reads "Li Lei", not "LiLei" (which a slug would lower to "lilei").
        syllable = char.lower() == char.upper() and spelt[:1].isupper()
        if (syllable or apart) and parts:
            parts.append(" ")
        parts.append(spelt)
        apart = syllable
    return "".join(parts)
