"""Stage 3, reporting: a :class:`~reconcile.plan.value.Plan` → text, Markdown, JSON or HTML.

In: a plan and whether to reveal personal data. Out: deterministic report text, PII masked by
default. ``render`` is the jinja2 seam for reports; its templates are in ``templates/``.
"""
