"""Did-you-mean suggestions for misspelt field names in ``profiles.d/``.

>>> did_you_mean("emial", ["email", "title"])
" (did you mean 'email'?)"
>>> field_names(("attributes", "comms", "email_promoo"))[:2]
['email_optout', 'email_bounced']
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from reconcile.model.desired import DesiredProfile


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    """A suffix naming the closest candidate, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def field_names(loc: Sequence[str | int]) -> list[str]:
    """The field names allowed next to the last part of ``loc`` (a pydantic error location)."""
    model = _model_at(DesiredProfile, list(loc[:-1]))
    return list(model.model_fields) if model is not None else []


def _model_at(annotation: Any, parts: list[str | int]) -> type[BaseModel] | None:
    for part in parts:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(str(part))
            if info is None:
                return None
            annotation = info.annotation
        else:
            args = typing.get_args(annotation)
            if not args:
                return None
            annotation = args[-1]  # the item of a list, the value of a dict
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``X | None`` and ``Annotated[X, ...]`` down to ``X``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation
