"""Stage 4, applying: a reviewed :class:`~reconcile.plan.value.Plan` → journaled tenant writes.

In: a saved plan, the declarations it was made from, the tenant and a journal. Out: an
:class:`~reconcile.apply.outcomes.ApplyResult` and a journal that says what succeeded.

Modules: ``session`` (the entry point: the gate, the lock, the journal, then one of the
engines), ``gate`` (whether a plan may run: its one entry point, ``admit``), ``contents`` (the
gate's checks of a plan's contents against the project), ``guards`` (production limits),
``ordering`` and ``scheduler`` (uniqueness-safe order, bounded concurrency), ``writes`` (the
requests of one change), ``freshness`` (is a profile still as the plan saw it, just before the
first write), ``executor`` (per-profile engine), ``bulk`` (batch engine), ``journal``,
``outcomes``, ``progress``, ``recorded`` (what a saved plan records for applying it),
``bodies`` (request bodies), ``teardown`` (the plan that removes every managed profile),
``resume`` (the commands a run tells its user to type next).
"""
