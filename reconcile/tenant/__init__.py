"""Talking to an Omneo tenant through API v3.

In: a :class:`~reconcile.settings.Target` (URL, token, limits). Out: typed profiles, pages and write
results from :class:`~reconcile.tenant.client.OmneoClient`.

Modules: ``client`` (the typed calls), ``wire`` (the httpx seam: a paced, retried, strict-JSON
connection), ``responses`` (the typed answers), ``ratelimit`` (token bucket, backoff,
``Retry-After``), ``pacing`` (the adaptive pacer under 429s), ``lock`` (the tenant-wide apply
lock) and ``lock_record`` (the lock as the tenant stores it), ``owners`` (which owner handles
manage profiles on a tenant).
"""
