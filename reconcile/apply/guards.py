"""Rules by tenant kind: what a production tenant refuses unless forced with a stated reason.

A tenant is ``kind = "test"`` or ``kind = "production"`` in ``reconcile.toml`` (the embedded
sandbox ``local`` is a test tenant; a tenant given only by ``OMNEO_URL`` counts as production).
A production tenant refuses a teardown, bulk mode (``apply --bulk``), and any plan that creates
more profiles than its ``max_creates``, unless the command is given ``--force`` and
``--reason "…"``.
A test tenant allows both.

>>> check_creates(target, creates=5000, override=Override())   # doctest: +SKIP
Traceback (most recent call last):
UnsafePlanError: tenant 'prod' is a production tenant: this plan creates 5000 profiles, ...
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from reconcile.errors import UnsafePlanError
from reconcile.settings import Target


class Override(BaseModel):
    """``--force`` with ``--reason``: both are needed to pass a production guard."""

    model_config = ConfigDict(frozen=True)

    force: bool = False
    reason: str | None = None

    @property
    def given(self) -> bool:
        return self.force and bool((self.reason or "").strip())


def check_creates(target: Target, *, creates: int, override: Override) -> str | None:
    """Refuse a plan creating more than ``max_creates`` on production; the override note if used."""
    if target.kind != "production" or creates <= target.max_creates:
        return None
    limit = target.max_creates
    what = f"this plan creates {creates} profiles, more than its max_creates of {limit}"
    return _refuse_or_note(target, what, override)


def check_bulk(target: Target, *, override: Override) -> str | None:
    """Refuse bulk mode (``apply --bulk``, made for seeding) on production; the note if used."""
    if target.kind != "production":
        return None
    return _refuse_or_note(target, "bulk mode is for seeding test tenants", override)


def check_teardown(target: Target, *, override: Override) -> str | None:
    """Refuse a teardown of a production tenant; the override note if used."""
    if target.kind != "production":
        return None
    return _refuse_or_note(target, "teardown deletes every managed profile", override)


def _refuse_or_note(target: Target, what: str, override: Override) -> str:
    head = f"tenant {target.name!r} is a production tenant: {what}"
    if not override.given:
        missing = "--reason" if override.force else "--force --reason"
        raise UnsafePlanError(
            f'{head}; refused. Use a test tenant, or pass {missing} "why" if this is intended'
        )
    return f"{head}; allowed by --force: {(override.reason or '').strip()}"
