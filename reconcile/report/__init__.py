"""Stage 3, reporting: a :class:`~reconcile.plan.value.Plan` → text, Markdown, JSON or HTML.

In: a plan and whether to reveal personal data. Out: deterministic report text, PII masked by
default. ``render`` is the jinja2 seam for reports (its templates are in ``templates/``);
``escape`` says how each format shows a text from a plan, so that no value can change what a
report says; ``merged`` renders the shards' plans as one review.
"""
