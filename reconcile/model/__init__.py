"""The values the pipeline compares: declared and observed profiles, in one flat vocabulary.

In: plain data (a parsed declaration, an API profile). Out:
:class:`~reconcile.model.desired.DesiredProfile` (and its compact form,
:class:`~reconcile.model.declaration.Declaration`) and
:class:`~reconcile.model.observed.ObservedProfile`, both reducible to a flat view of normalised
field paths.

Modules: ``fields`` (names, types, paths), ``desired`` (the declared profile), ``parts`` (its
parts: addresses, dates, comms, custom attributes), ``declaration`` (the compact form a plan
holds), ``observed`` (a tenant's profile), ``reading`` (an API profile read part by part into
the flat view), ``answer_parts`` (the readers of its parts), ``forms`` (the forms a tenant's
values may come in), ``normalize`` (how Omneo stores a value; the
email-validator seam), ``phones`` (the phonenumbers seam), ``ascii`` (the anyascii seam),
``mask`` (which fields are personal data, and how reports hide them).
"""
