"""Stage 2, planning: declared profiles + the tenant's profiles → a reviewed-ready :class:`Plan`.

In: :class:`~reconcile.profiles.loader.DeclaredProfiles` and an open client. Out:
:class:`~reconcile.plan.value.Plan`, changes with field-level diffs, conflicts, withheld changes and
fingerprints, saved as versioned JSON.

Modules: ``build`` (fetch, match, diff, assemble), ``match`` (pairing declarations with tenant
profiles), ``diff`` (the deepdiff seam), ``selectors`` (targets and shards), ``options`` (what a
plan was asked for), ``cost`` (what applying it will cost), ``value`` (the plan itself, its
checksum and safety reasons), ``reading`` (a saved plan file read as untrusted input),
``signing`` (an optional HMAC signature on saved plans), ``shard`` (the tenant's share a
selection holds), ``merge`` (the shards' plans as one, for one review).
"""
