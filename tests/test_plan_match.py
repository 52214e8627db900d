"""Matching and plan assembly on fixed tenants (no I/O): actions, conflicts, selectors, safety."""

from __future__ import annotations

from reconcile.plan.selectors import Selectors, shard_of
from reconcile.plan.value import Plan, safety_reasons
from tests.golden.scenario import scenario_plan, scenario_plan_without


def _actions(plan: Plan) -> dict[str, str]:
    return {change.key: change.action for change in plan.changes}


def _conflicts(plan: Plan) -> dict[tuple[str, ...], str]:
    return {conflict.keys: conflict.kind for conflict in plan.conflicts}


def test_every_action_and_conflict_kind_of_the_scenario() -> None:
    plan = scenario_plan()
    assert _actions(plan) == {
        "alex-nguyen": "create",
        "priya-sharma": "adopt",
        "jane-doe": "update",
        "ann-swap": "update",
        "ben-swap": "update",
        "sam-old": "delete",
        "erased-customer": "purge",
        "rosa-gone": "restore",
        "zoe-smith": "rename",
    }
    assert _conflicts(plan) == {
        ("chris-lee",): "ambiguous",
        ("kim-a", "kim-b"): "contested",
        ("tom-baker",): "taken",
    }
    assert plan.unchanged == 1  # steady


def test_two_managed_profiles_swapping_emails_is_not_a_conflict() -> None:
    plan = scenario_plan()
    assert not any("swap" in key for conflict in plan.conflicts for key in conflict.keys)


def test_a_swap_whose_partner_is_skipped_becomes_a_conflict() -> None:
    # ben-swap is left out, so ben@example.com stays on ben's profile: ann-swap cannot take it.
    plan = scenario_plan(selectors=Selectors(exclude=("ben-swap",)))
    taken = {c.keys: c.reason for c in plan.conflicts if c.kind == "taken"}
    assert "ann-swap" not in _actions(plan)
    assert taken[("ann-swap",)] == (
        "email b***@example.com belongs to the profile managed as 'ben-swap', which keeps it"
    )


def test_no_adopt_turns_an_adoption_into_a_conflict() -> None:
    plan = scenario_plan(adopt=False)
    assert "priya-sharma" not in _actions(plan)
    assert _conflicts(plan)[("priya-sharma",)] == "no-adopt"


def test_conflicts_name_fields_and_mask_values_in_their_reason() -> None:
    plan = scenario_plan()
    taken = next(c for c in plan.conflicts if c.kind == "taken")
    assert taken.fields == ("email",)
    assert taken.reason == "email t***@example.com belongs to an unmanaged profile, which keeps it"
    assert taken.profile_ids == ("00000000-0000-4000-8000-000000000006",)


def test_an_adoption_adds_the_owner_identity_and_shows_field_changes() -> None:
    adopt = next(c for c in scenario_plan().changes if c.action == "adopt")
    assert [(f.path, f.before, f.after) for f in adopt.fields] == [
        ("identities.reconcile", None, "priya-sharma"),
        ("last_name", "Sharmah", "Sharma"),
    ]


def test_diffs_cover_only_declared_fields_per_key() -> None:
    jane = next(c for c in scenario_plan().changes if c.key == "jane-doe")
    paths = [f.path for f in jane.fields]
    assert "mobile_phone" not in paths and "last_name" not in paths  # not declared: left alone
    assert "attributes.comms.email_promo" in paths
    assert "custom_attributes.loyalty.tier" in paths
    tags = next(f for f in jane.fields if f.path == "tags")
    assert (tags.before, tags.after) == (["vip"], ["staff", "vip"])


def test_a_selection_only_deletes_within_itself() -> None:
    outside = scenario_plan(selectors=Selectors(target=("jane-*", "alex-*")))
    assert _actions(outside) == {"jane-doe": "update", "alex-nguyen": "create"}
    assert outside.options.selectors.target == ("jane-*", "alex-*")
    inside = scenario_plan(selectors=Selectors(target=("sam-*",)))
    assert _actions(inside) == {"sam-old": "delete"}


def test_shards_together_plan_every_key_exactly_once() -> None:
    whole = scenario_plan()
    parts = [scenario_plan(selectors=Selectors(shard=f"{i}/3")) for i in (1, 2, 3)]
    planned = [c.key for part in parts for c in part.changes]
    conflicted = {key for part in parts for c in part.conflicts for key in c.keys}
    assert len(planned) == len(set(planned))
    # A conflict between two declarations is seen by both their shards, never adopted by one.
    assert {"kim-a", "kim-b", "chris-lee", "tom-baker"} <= conflicted
    # A value moving between two profiles in different shards conflicts instead of racing.
    split = len({shard_of("ann-swap", 3), shard_of("ben-swap", 3)}) == 2
    expected = {c.key for c in whole.changes} - ({"ann-swap", "ben-swap"} if split else set())
    assert set(planned) == expected


def test_deletes_and_purges_are_withheld_without_their_flags() -> None:
    plan = scenario_plan(allow_delete=False, allow_purge=False)
    assert "sam-old" not in _actions(plan) and "erased-customer" not in _actions(plan)
    assert [(w.key, w.action, w.reason) for w in plan.withheld] == [
        ("erased-customer", "purge", "purged"),
        ("sam-old", "delete", "undeclared"),
    ]


def test_only_a_purge_frees_values_a_soft_deleted_profile_keeps_them() -> None:
    # Omneo keeps a soft-deleted profile recoverable, so its email stays taken (docs/sandbox.md).
    takes_deleted = [{"key": "sam-new", "email": "sam@example.com"}]
    assert _conflicts(scenario_plan(takes_deleted))[("sam-new",)] == "taken"
    takes_purged = [{"key": "erin-new", "email": "erin@example.com"}]
    assert _actions(scenario_plan(takes_purged))["erin-new"] == "create"
    withheld = scenario_plan(takes_purged, allow_purge=False)
    assert _conflicts(withheld)[("erin-new",)] == "taken"


def test_safety_marks_large_shares_of_managed_profiles_unsafe() -> None:
    assert scenario_plan().unsafe == (
        "too many updates: 4 of 8 managed profiles (50.0%) is over the 30% threshold",
    )
    assert scenario_plan(threshold_floor=10).unsafe == ()  # a small tenant is exempt
    assert scenario_plan(threshold=0.5).unsafe == ()
    assert safety_reasons(managed=10, updates=0, deletes=4, threshold=0.3, floor=10) == (
        "too many deletes: 4 of 10 managed profiles (40.0%) is over the 30% threshold",
    )
    assert safety_reasons(managed=10, updates=3, deletes=3, threshold=0.3, floor=10) == ()


def test_the_same_inputs_give_the_same_plan_bytes() -> None:
    assert scenario_plan().sealed().dumps() == scenario_plan().sealed().dumps()


def test_a_soft_deleted_managed_profile_is_restored_with_its_field_changes() -> None:
    restore = next(c for c in scenario_plan().changes if c.action == "restore")
    assert restore.profile_id == "00000000-0000-4000-8000-000000000013"
    assert [(f.path, f.before, f.after) for f in restore.fields] == [
        ("first_name", "Rosa", "Rosalind")
    ]


def test_a_rename_rekeys_the_owner_identity_and_is_never_a_delete() -> None:
    plan = scenario_plan()
    rename = next(c for c in plan.changes if c.action == "rename")
    assert [(f.path, f.before, f.after) for f in rename.fields] == [
        ("identities.reconcile", "zoe", "zoe-smith"),
        ("last_name", None, "Smith"),
    ]
    assert "zoe" not in _actions(plan) and not any(w.key == "zoe" for w in plan.withheld)


def test_an_undeclared_soft_deleted_profile_is_left_alone_even_with_allow_delete() -> None:
    without = scenario_plan_without("rosa-gone")  # the scenario plans with --allow-delete
    assert "rosa-gone" not in _actions(without)
    assert not any(w.key == "rosa-gone" for w in without.withheld)


def test_a_value_held_by_a_soft_deleted_profile_is_taken_until_it_is_purged() -> None:
    plan = scenario_plan_without("rosa-gone", extra=[{"key": "rose", "email": "rosa@example.com"}])
    taken = {c.keys: c.reason for c in plan.conflicts if c.kind == "taken"}
    assert taken[("rose",)] == (
        "email r***@example.com belongs to the soft-deleted profile managed as 'rosa-gone', "
        "which keeps it; if this is that profile under a new key, add previous_keys: [rosa-gone]"
    )


def test_the_taken_conflict_of_a_renamed_file_suggests_previous_keys() -> None:
    plan = scenario_plan_without("zoe-smith", extra=[{"key": "zoe-s", "email": "zoe@example.com"}])
    taken = {c.keys: c.reason for c in plan.conflicts if c.kind == "taken"}
    assert taken[("zoe-s",)].endswith(
        "if this is that profile under a new key, add previous_keys: [zoe]"
    )


def test_a_rename_onto_a_key_the_tenant_also_manages_is_a_conflict() -> None:
    plan = scenario_plan(extra=[{"key": "steady-2", "previous_keys": ["steady", "zoe"]}])
    conflict = next(c for c in plan.conflicts if c.keys == ("steady-2",))
    assert (conflict.kind, conflict.fields) == ("ambiguous", ("previous_keys",))
    assert "'steady', 'zoe'" in conflict.reason
    assert "steady" not in [w.key for w in plan.withheld] and "steady" not in _actions(plan)
