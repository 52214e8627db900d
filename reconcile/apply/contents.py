"""What a plan's contents must agree with: the project, itself, profiles.d/, and the tenant.

A checksum only proves that a plan was not edited by accident; anyone can recompute it. So these
checks take from a plan only what can be checked, each a pure function of the plan, profiles.d/
and (for :func:`ownership_problem`) one tenant profile. The gate (``gate.py``) runs them; they
call nothing back.

- the plan must be this project's: its owner handle is the project's (:func:`check_project`);
- it must agree with itself (:func:`check_shape`): every change is inside its selection, needs no
  flag the plan was made without, writes only fields that profiles.d/ declares, and fits what
  profiles.d/ says of its key (a create, adopt or update needs a declared profile; a delete or
  purge of a key that profiles.d/ still declares is unsafe, as a teardown is);
- its safety is recomputed from its changes (:func:`recomputed_unsafe`), with the project's
  threshold and the tenant's count of managed profiles, never read from its ``unsafe`` list;
- each profile it touches must be what the change says, on the tenant (:func:`ownership_problem`):
  a profile that is updated, deleted or purged carries this project's owner identity for that
  key (renamed or restored: for the key or one of its ``previous_keys``); an adopted profile
  carries none and holds one of the declared email, mobile or identities.

>>> check_project(plan, declared, owner_handle="reconcile")  # doctest: +SKIP
>>> check_shape(plan, declared)                              # doctest: +SKIP
"""

from __future__ import annotations

from reconcile.errors import PlanError, StalePlanError
from reconcile.model.declaration import Declaration
from reconcile.model.observed import ObservedProfile
from reconcile.plan.value import Action, Change, Plan, safety_reasons
from reconcile.profiles.loader import DeclaredProfiles

# Actions on a profile this project already manages: it must carry the owner identity of the key
# (a restore or a rename: of the key or, re-keyed, of one of its previous keys).
OWNED_ACTIONS = frozenset({"update", "delete", "purge"})
_RENAMING = {"restore": True, "rename": False}  # whether the profile may still hold the key
# Actions the safety threshold counts as updates, as the planner does.
UPDATE_ACTIONS: tuple[Action, ...] = ("update", "rename")
# Actions that write declared values: the key must be declared (and not as a tombstone).
DECLARED_ACTIONS = frozenset({"create", "adopt", "update", "restore", "rename"})
_REMOVALS = {"delete": "absent", "purge": "purged"}


def check_project(plan: Plan, declared: DeclaredProfiles, *, owner_handle: str) -> None:
    """Refuse a plan made for another project, or for another state of profiles.d/, saying which.

    Another project is told by its owner handle or, when both use the same handle, by a plan none
    of whose declared keys this profiles.d/ declares.
    """
    if plan.options.owner_handle != owner_handle:
        raise PlanError(
            f"the plan is from another project: it manages profiles under the handle "
            f"{plan.options.owner_handle!r}, this project under {owner_handle!r}"
        )
    if plan.inputs_digest == declared.digest:
        return
    desired = declared.by_key()
    keys = sorted({c.key for c in plan.changes if c.action in DECLARED_ACTIONS})
    if keys and not any(key in desired for key in keys):
        shown = ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")
        raise StalePlanError(
            f"the plan is from another project (or a profiles.d/ since replaced): none of the "
            f"keys it writes ({shown}) is declared here; plan this project with `reconcile plan`"
        )
    raise StalePlanError("profiles.d/ changed since the plan was made; run `reconcile plan` again")


def check_shape(plan: Plan, declared: DeclaredProfiles) -> None:
    """Refuse a plan whose changes contradict it or profiles.d/ (which it was made from)."""
    desired = declared.by_key()
    seen: set[str] = set()
    problems: list[str] = []
    for change in plan.changes:
        problem = _contradiction(plan, change, desired.get(change.key), seen)
        if problem:
            problems.append(f"{change.action} {change.key}: {problem}")
        seen.update((change.key, f"#{change.profile_id}"))
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise PlanError(
            f"the plan contradicts itself or profiles.d/, so it was edited or is not this "
            f"project's: {'; '.join(problems[:3])}{more}; run `reconcile plan` again"
        )


def _contradiction(
    plan: Plan, change: Change, profile: Declaration | None, seen: set[str]
) -> str | None:
    action = str(change.action)
    if change.key in seen or (change.profile_id and f"#{change.profile_id}" in seen):
        return "a second change of the same key or profile"
    if not plan.options.selectors.selects(change.key):
        return f"outside the plan's selection ({plan.options.selectors.describe()})"
    if (action == "create") != (change.profile_id is None):
        return "a create names no profile id; every other change names one"
    if action == "adopt" and not plan.options.adopt:
        return "an adoption in a plan made with --no-adopt"
    if action == "delete" and not plan.options.allow_delete:
        return "a delete in a plan made without --allow-delete"
    if action == "purge" and not plan.options.allow_purge:
        return "a purge in a plan made without --allow-purge"
    if action in DECLARED_ACTIONS:
        if profile is None or profile.is_tombstone:
            return "profiles.d/ declares no such profile"
        allowed = {*profile.view, f"identities.{plan.options.owner_handle}"}
        extra = sorted({f.field for f in change.fields} - allowed)
        if extra:
            return f"writes fields profiles.d/ does not declare ({', '.join(extra)})"
    return None


def recomputed_unsafe(
    plan: Plan, declared: DeclaredProfiles, *, threshold: float, floor: int, managed: int
) -> tuple[str, ...]:
    """Why the plan is unsafe, from its changes alone: the share of the ``managed`` profiles it
    updates or deletes, and removals of profiles that profiles.d/ still declares present."""
    removals = plan.count("delete") + plan.count("purge")
    reasons = safety_reasons(
        managed=managed,
        updates=sum(plan.count(action) for action in UPDATE_ACTIONS),
        deletes=removals,
        threshold=threshold,
        floor=floor,
    )
    desired = declared.by_key()
    declared_alive = sorted(
        change.key
        for change in plan.changes
        if change.action in _REMOVALS
        and (profile := desired.get(change.key)) is not None
        and profile.state != _REMOVALS[change.action]
    )
    if declared_alive:
        reasons += (
            f"removes {len(declared_alive)} profiles that profiles.d/ declares present "
            f"({', '.join(declared_alive[:5])}{', ...' if len(declared_alive) > 5 else ''})",
        )
    return reasons


def count_matters(plan: Plan, *, threshold: float, floor: int) -> bool:
    """Whether the number of managed profiles can decide the plan's safety; if not, apply need
    not count them. A plan cannot update or delete more profiles than are managed."""
    updates = sum(plan.count(action) for action in UPDATE_ACTIONS)
    removals = plan.count("delete") + plan.count("purge")
    smallest = max(floor, updates, removals, 1)
    return max(updates, removals) / smallest > threshold


def ownership_problem(
    change: Change, observed: ObservedProfile, profile: Declaration | None, owner: str
) -> str | None:
    """Why ``observed`` (the tenant profile ``change`` names) is not one this change may touch."""
    holder = observed.identifier(owner)
    action = str(change.action)
    if action in OWNED_ACTIONS and holder != change.key:
        held = f"carries {owner}={holder}" if holder else f"carries no {owner} identity"
        return f"profile {observed.id} {held}, not {owner}={change.key}: not this project's"
    if action in _RENAMING:
        keys = (*((change.key,) if _RENAMING[action] else ()), *_previous_keys(profile))
        if holder is None or holder not in keys:
            held = f"carries {owner}={holder}" if holder else f"carries no {owner} identity"
            return f"profile {observed.id} {held}, not {owner}={' or '.join(keys)}"
    if action == "adopt":
        if holder not in (None, change.key):
            return f"profile {observed.id} is managed as {holder!r}, not free to adopt"
        if profile is None or not _holds_a_declared_value(observed, profile):
            return (
                f"profile {observed.id} holds none of the email, mobile or identities that "
                f"profiles.d/ declares for {change.key}"
            )
    return None


def _previous_keys(profile: Declaration | None) -> tuple[str, ...]:
    return profile.previous_keys if profile is not None else ()


def _holds_a_declared_value(observed: ObservedProfile, profile: Declaration) -> bool:
    return any(observed.fields.get(name) == value for name, value in profile.unique)
