"""The sandbox's HTTP layer: the ASGI app, its middleware, access and the OpenAPI description.

- ``app``: assemble the FastAPI application: routers under ``/api/v3``, error rendering, faults.
- ``server``: serve it over HTTP with uvicorn (the only module that imports uvicorn).
- ``access``: who may call a served sandbox: the chosen tokens, and where the published ones listen.
- ``hosts``: the ``Host`` check of a sandbox served on loopback (no DNS rebinding).
- ``context``: what every route needs: the tenant, the bearer-token checks, the JSON body.
- ``bodylimit``: refuse a body over its route's limit (413) before reading it.
- ``faults``: faults on demand (latency, a rate limit, 5xx answers, dropped connections).
- ``style``: the SDK answer style: each successful JSON answer rewritten into the SDK's forms.
- ``pagination``: Laravel's length-aware paginator: page parameters in, ``links`` and ``meta`` out.
- ``openapi``, ``openapi_params``, ``openapi_links``: the OpenAPI description: bodies and
  parameters read by hand, the real error answers, and how one answer's ids feed the next request.

Nothing here runs SQL: the routes and the middleware reach the data through ``storage``.
"""
