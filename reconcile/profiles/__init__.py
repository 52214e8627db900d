"""Stage 1, reading: ``profiles.d/`` → validated declarations
(:class:`~reconcile.model.declaration.Declaration`).

In: a folder of YAML files (``*.yaml``, ``_defaults.yaml``, ``*.yaml.j2`` templates and their
variables). Out: :class:`~reconcile.profiles.loader.DeclaredProfiles`, the profiles sorted by key
with the file and line each came from and a digest of every input, or one
:class:`~reconcile.errors.ProfileError` listing every problem in the tree.

Modules:

- ``loader``: the entry point (``load_profiles``, ``begin_loading``) and the loaded tree.
- ``files``: finding and reading the files safely (limits, encodings, symbolic links);
  ``portable``: file names every checkout can hold.
- ``declare``: the walk of the tree: defaults, each file from the cache or read afresh, the checks
  across the tree; ``documents``: one parsed document → declarations and problems.
- ``defaults``: folder defaults (``_defaults.yaml``).
- ``templates`` (rendering), ``template_sandbox`` (the hardened Jinja sandbox),
  ``template_budget`` (its budgets), ``template_lines`` (which template line made each line) and
  ``fake`` (fake people for seed templates: the Faker seam).
- ``yaml_reader``: the PyYAML seam; ``yaml_plain`` its fast path (plain files from the parser's
  events), ``yaml_tree`` its full path (the node tree); ``scalars``: values YAML 1.1 and 1.2 read
  apart.
- ``uniqueness``: keys, emails, mobiles and identities across the tree; ``spellings``: one tag spelt
  two ways.
- ``cache``: validated files by digest; ``parallel``: a cold tree parsed on every core.
- ``messages`` and ``suggest``: the wording of problems; ``schema``: the JSON Schema for editors.
"""
