"""``reconcile watch``: the pull-based agent that keeps tenants at what git declares.

Each tenant is reconciled in cycles (fetch, validate, plan, decide, apply or report) on an interval
and at once on a signed webhook push; test tenants heal, production tenants report drift. The
agent serves Prometheus metrics, health endpoints and a status page, and notifies on a change of
state. See ``docs/watch.md``.

Modules: ``agent`` (one loop per tenant, the git source, the HTTP port, a graceful stop),
``config`` (``[tenants.NAME.watch]``), ``cycle`` (one cycle for one tenant), ``reconciler`` (what
a cycle needs from the library), ``source`` (the watched git repository), ``record`` (what one
cycle did), ``history`` (recent cycles, in SQLite), ``metrics`` (Prometheus), ``notify``
(notifications on a change of state), ``web`` (the HTTP port), ``page`` (the status pages),
``server`` (uvicorn in a background thread).

This package's ``__init__`` imports nothing: ``reconcile.settings`` reads the per-tenant policy
from ``reconcile.watch.config`` without loading the agent.
"""
