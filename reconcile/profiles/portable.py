"""File names every checkout can hold: Windows refuses names that Linux and macOS accept.

A file or folder named after a Windows device (``CON``, ``PRN``, ``AUX``, ``NUL``,
``COM0``-``COM9``, ``LPT0``-``LPT9``, with any extension and in any case: ``aux.txt.yaml`` too),
or ending in a dot or a space, cannot be checked out on Windows, so a repository holding one
breaks there. The loader refuses such names in ``profiles.d/``, and export never writes one.

>>> windows_problem("con.yaml")
'CON is a device name on Windows, so a repository holding this file cannot be checked out there'
>>> portable_stem("aux.txt")
'aux_.txt'
"""

from __future__ import annotations

_DIGITS = "0123456789\u00b9\u00b2\u00b3"  # Windows counts superscript 1-3 as digits here
_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{d}" for d in _DIGITS), *(f"lpt{d}" for d in _DIGITS)}
)


def _device(name: str) -> str | None:
    stem = name.split(".", 1)[0].rstrip(" ").lower()
    return stem if stem in _DEVICES else None


def windows_problem(name: str) -> str | None:
    """Why Windows cannot hold a file or folder called ``name``; None when it can."""
    device = _device(name)
    if device is not None:
        return (
            f"{device.upper()} is a device name on Windows, so a repository holding this file "
            "cannot be checked out there"
        )
    if name.endswith((".", " ")):
        return "ends with a dot or a space, which Windows drops, so it cannot be checked out there"
    return None


def portable_stem(stem: str) -> str:
    """``stem`` (a file name before ``.yaml``) with ``_`` after a device name: ``con`` → ``con_``,
    ``aux.txt`` → ``aux_.txt``; any other stem as it is."""
    if _device(stem) is None:
        return stem
    head, dot, rest = stem.partition(".")
    return f"{head.rstrip(' ')}_{dot}{rest}"
