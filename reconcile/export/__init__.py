"""Export: a tenant's profiles → a ``profiles.d/`` tree that plans as empty.

In: an open client and a selection. Out: YAML files (new, or merged into an existing tree keeping
comments), keys derived from the profiles, and a list of what could not be exported.

Modules: ``exporter`` (the entry point), ``declaration`` (one profile → its declaration), ``keys``,
``merge`` and ``tree`` (writing into a tree), ``yaml_writer`` (the ruamel.yaml seam).
"""
