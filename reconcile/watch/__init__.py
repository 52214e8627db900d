"""``reconcile watch``: the pull-based agent that keeps tenants at what git declares.

Each tenant is reconciled in cycles (fetch, validate, plan, decide, apply or report) on an interval
and at once on a signed webhook push; test tenants heal, production tenants report drift. The
agent serves Prometheus metrics, health endpoints and a status page, and notifies on a change of
state. See ``docs/watch.md``.

This package's ``__init__`` imports nothing: ``reconcile.settings`` reads the per-tenant policy
from ``reconcile.watch.config`` without loading the agent.
"""
