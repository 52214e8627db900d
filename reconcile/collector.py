"""The cyclic garbage collector, paused where many small objects are built that all live on.

Loading a tree, typing a listing page and planning each build many objects and no cycles; every
collection they set off would only walk every object kept so far (what that costs:
docs/performance.md). Reference counting still frees whatever is dropped.

>>> with paused():
...     gc.isenabled()
False
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause the collector for the block. Nests: an outer pause is left as it was."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
