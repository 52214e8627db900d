"""What a saved plan records for applying it: the tenant's name and the template variables.

``reconcile apply PLAN`` and ``reconcile apply --resume PLAN`` need nothing but the plan: the
tenant and the variables come from it. A flag given anyway must agree with the plan, or the apply
is refused with the difference named, before anything is read.

>>> plan = Plan(options=PlanOptions(tenant="u", tenant_name="staging", variables={"count": "3"}),
...             inputs_digest="")
>>> tenant_for(plan, None), variables_for(plan, {})
('staging', {'count': '3'})
>>> variables_for(plan, {"count": "4"})
Traceback (most recent call last):
reconcile.errors.PlanError: the plan was made with --var count=3, not 4
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from reconcile.errors import PlanError
from reconcile.model.fields import JsonValue
from reconcile.plan.options import PlanOptions
from reconcile.plan.value import Plan

ENV_TENANT = "env"  # the name settings give a tenant taken from OMNEO_URL / OMNEO_TOKEN

__all__ = ["PlanOptions", "tenant_for", "variables_for"]


def tenant_for(plan: Plan, asked: str | None) -> str | None:
    """The ``--tenant`` to apply ``plan`` with: the one it was made for (``None``: from the
    environment, or a plan that records none). ``asked`` must be that one."""
    recorded = plan.options.tenant_name
    if asked is not None and recorded is not None and asked != recorded:
        made = "OMNEO_URL" if recorded == ENV_TENANT else f"tenant {recorded!r}"
        raise PlanError(f"the plan was made for {made}, not tenant {asked!r}")
    if asked is not None:
        return asked
    return None if recorded == ENV_TENANT else recorded


def variables_for(plan: Plan, asked: Mapping[str, object]) -> dict[str, object]:
    """The template variables to apply ``plan`` with: the ones it records. Variables given
    (``asked``: ``--var`` and ``--vars``) must be the same."""
    recorded = plan.options.variables
    if recorded is None:  # a plan made before variables were recorded: as given
        return dict(asked)
    if asked:
        differences = [
            _difference(name, recorded.get(name), asked.get(name))
            for name in sorted({*recorded, *asked})
            if _text(recorded.get(name)) != _text(asked.get(name))
            or (name in recorded) != (name in asked)
        ]
        if differences:
            raise PlanError("the plan was made with " + "; ".join(differences))
    return dict(recorded)


def _difference(name: str, recorded: JsonValue | object, asked: object) -> str:
    if recorded is None:
        return f"no --var {name}, not {name}={_text(asked)}"
    if asked is None:
        return f"--var {name}={_text(recorded)}, not without it"
    return f"--var {name}={_text(recorded)}, not {_text(asked)}"


def _text(value: object) -> str | None:
    """A variable as ``--var`` would write it (a vars file may hold numbers or lists)."""
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
