"""Talking to an Omneo tenant through API v3: the one seam for httpx.

In: a :class:`~reconcile.settings.Target` (URL, token, limits). Out: typed profiles, pages and write
results from :class:`~reconcile.tenant.client.OmneoClient`, paced by ``ratelimit`` and guarded by
the tenant-wide apply ``lock``.
"""
