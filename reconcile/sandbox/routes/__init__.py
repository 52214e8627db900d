"""The sandbox's endpoints, one module per resource of Omneo's Profiles API v3.

- ``profiles``: create, read (by id or by identity), list and search, update, soft delete, purge.
- ``identities``: identities per profile (by handle and by id), the global listing, the lookups.
- ``attributes``: custom attributes (per profile and the cross-profile search) and update-type.
- ``addresses``: a profile's addresses: list, add, read, update (partial), delete.
- ``comms``: comms preferences, and the SDK's subscribe/unsubscribe shortcut.
- ``appearance``: a profile's appearance (sizes, measurements, colours): read and merge.
- ``dates``: profile dates (``attributes.dates``): list, add or update one, delete one.
- ``bulk``: sync, batches, CSV import jobs and the lookups (search-id, availability).

A route reads the request, checks it with ``rules``, calls ``storage`` and answers; it holds no SQL
and does not import ``sqlite3`` (``tests/sandbox/test_layout.py``).
"""
