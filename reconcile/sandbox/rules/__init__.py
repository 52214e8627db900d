"""Omneo's rules as the sandbox knows them: what a request may say, and the messages.

- ``messages``: the field rules as data, one row per (field, rule) with its error message.
- ``vocabulary``: the names Omneo accepts: profile fields, enums, comms, attribute types.
- ``values``: how values are read and stored (normalisation of emails, phones, dates, tags).
- ``validation``: check a profile body, reporting every broken rule at once.
- ``nested``: validators of a profile's nested parts: identities, comms, attributes, addresses.
- ``dates``: check profile dates (``attributes.dates``).
- ``limits``: the limits a real API has: body sizes, list sizes, string lengths, page sizes.
- ``csv_import``: the CSV import format: one profile per row, nested fields as columns.
- ``errorbag``: Laravel's error bag, shared by the validators.

Nothing here touches the store: rules that need stored data live in ``storage``.
"""
