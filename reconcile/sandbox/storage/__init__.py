"""The sandbox's store: its SQLite schema, connection and every SQL statement it runs.

- ``schema``: the tables and their migrations (``PRAGMA user_version`` is the schema version).
- ``store``: the one connection, its transactions and the clock.
- ``profiles``: profile writes and reads inside a transaction, with the rules that need stored data.
- ``identities``: identities of a profile, the global identity listing and the identity lookups.
- ``attributes``: custom attributes, the cross-profile attribute search and the profile type.
- ``addresses``: a profile's addresses, kept in its stored document.
- ``appearance``: a profile's appearance, kept in its stored document, merged key by key.
- ``dates``: profile dates: upsert by handle and relationship, list, delete.
- ``listing``: ``GET /profiles``: filters, sort and pagination as SQL.
- ``search``: typo-tolerant ``?search=`` over names, email and mobile.
- ``upsert``: create-or-update by a match key, shared by sync, batch and CSV import.
- ``batch``: batch imports: stored at once, applied in the background, each outcome recorded.
- ``render``: stored rows turned into Omneo's JSON shapes.
- ``shapes``: the documented shapes of an address and the appearance, the default address.
"""
