"""Pydantic shapes of the sandbox's requests and answers, for the OpenAPI description.

- ``answers``: response shapes (checked by FastAPI against what the routes answer) and ``body_doc``.
- ``inputs``: request bodies, described as exactly as JSON Schema can say it.
- ``bulk``: shapes of the bulk, lookup and address endpoints.
- ``dates``: shapes of profile dates (``attributes.dates``).
- ``sdk_forms``: the SDK answer style's forms of an answer (pure: no store, no HTTP).
"""
