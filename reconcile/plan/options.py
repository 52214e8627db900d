"""What a plan was asked for: one typed value, carried by the plan itself.

:class:`PlanOptions` goes into :func:`~reconcile.plan.build.build_plan` and comes out as
``plan.options``, unchanged, so whoever plans the same thing again (bulk apply verifying what it
wrote, a reviewer, ``apply`` checking a plan's flags) plans exactly the reviewed selection with the
reviewed flags. A saved plan writes these fields at its top level (format 1).

>>> options = PlanOptions(tenant="http://t/api/v3", selectors=Selectors(shard="1/2"))
>>> options.selectors.describe(), options.allow_delete
('shard 1/2', False)
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from reconcile.model.fields import JsonValue
from reconcile.plan.selectors import Selectors

__all__ = ["PlanOptions", "Selectors"]


class PlanOptions(BaseModel):
    """What to plan and how; recorded in the plan so apply and reviewers see the same flags."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    owner_handle: str = "reconcile"
    phone_region: str | None = None
    allow_delete: bool = False
    allow_purge: bool = False
    allow_conflicts: bool = False
    adopt: bool = True
    selectors: Selectors = Selectors()
    threshold: float = 0.30
    threshold_floor: int = 10
    # What applying and resuming the saved plan need besides the URL, so that
    # `reconcile apply PLAN` works as printed: the tenant's name in reconcile.toml ("env" for
    # OMNEO_URL) and the template variables (None: a plan made before they were recorded).
    tenant_name: str | None = None
    variables: dict[str, JsonValue] | None = None
