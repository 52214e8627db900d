"""The values the pipeline compares: declared and observed profiles, in one flat vocabulary.

In: plain data (a parsed declaration, an API profile). Out:
:class:`~reconcile.model.desired.DesiredProfile` and
:class:`~reconcile.model.observed.ObservedProfile`, both reducible to a flat view of normalised
field paths.

Modules: ``fields`` (names, types, paths), ``desired``, ``observed``, ``normalize`` (how Omneo
stores a value; the seam for phonenumbers and email-validator), ``mask`` (which fields are personal
data, and how reports hide them).
"""
