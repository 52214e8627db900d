"""Stage 1, reading: ``profiles.d/`` → validated :class:`~reconcile.model.desired.DesiredProfile`
values.

In: a folder of YAML files (``*.yaml``, ``_defaults.yaml``, ``*.yaml.j2`` templates and their
variables). Out: :class:`~reconcile.profiles.loader.DeclaredProfiles`, the profiles sorted by key
with the file and line each came from and a digest of every input, or one
:class:`~reconcile.errors.ProfileError` listing every problem in the tree.

Modules: ``files`` (finding and reading files safely), ``loader`` (the YAML seam and the tree),
``declare`` (one document → declarations), ``defaults``, ``templates`` (rendering; the Jinja
sandbox in ``template_sandbox``, its budgets in ``template_budget``), ``uniqueness`` (keys,
emails, mobiles, identities across the tree), ``cache`` (parsed files by digest), ``messages``
and ``suggest`` (wording of problems), ``schema`` (the JSON Schema for editors).
"""
