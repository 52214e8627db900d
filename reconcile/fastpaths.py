"""The one switch for the tool's fast paths: set ``RECONCILE_NO_FAST_PATHS=1`` to go without them.

A fast path gives a library's own answer more cheaply for the common input: the phone parse and
validity check (``model/phones.py``), the email syntax check (``model/normalize.py``), the YAML
reader's plain-file path and quick tag resolution (``profiles/yaml_plain.py``,
``profiles/yaml_tree.py``) and models built without validation (``model/parts.py``). With the
switch set, each of them hands every input to the library's public API instead, so a suspected
fast-path bug can be ruled in or out with one variable, and the equivalence tests run both ways.

The variable is read at each call (worker processes inherit it), so tests can flip it.

>>> import os
>>> enabled() == (os.environ.get(SWITCH, "") in ("", "0"))
True
"""

from __future__ import annotations

import os

SWITCH = "RECONCILE_NO_FAST_PATHS"


def enabled() -> bool:
    """Whether the fast paths are on: unless ``RECONCILE_NO_FAST_PATHS`` is set to a value other
    than ``0`` or the empty text."""
    return os.environ.get(SWITCH, "") in ("", "0")
