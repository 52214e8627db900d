"""Stage 4, applying: a reviewed :class:`~reconcile.plan.value.Plan` → journaled tenant writes.

In: a saved plan, the declarations it was made from, the tenant and a journal. Out: an
:class:`~reconcile.apply.outcomes.ApplyResult` and a journal that says what succeeded.

Modules: ``session`` (the entry point: tenant check, guards, lock), ``carry`` (verify, journal,
then one of the engines), ``verify`` (not stale, safe), ``trust`` (the checks a plan file needs
because it is input), ``recorded`` (what a saved plan records for applying it), ``guards``
(production limits), ``ordering`` and ``scheduler`` (uniqueness-safe order, bounded concurrency),
``writes`` (the requests of one change), ``bodies`` (their request bodies), ``executor``
(per-profile engine), ``bulk`` (batch engine), ``journal``, ``outcomes``, ``progress``,
``teardown``.
"""
