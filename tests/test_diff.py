from __future__ import annotations

from reconcile.plan.diff import changed_fields, diff_fields


def test_equal_views_have_no_changes() -> None:
    view = {"email": "a@x.io", "tags": ["a", "b"], "addresses": [{"city": "Perth"}]}
    assert diff_fields(view, dict(view)) == []


def test_only_declared_fields_are_compared() -> None:
    desired = {"email": "a@x.io"}
    observed = {"email": "a@x.io", "first_name": "Someone", "tags": ["x"]}
    assert diff_fields(desired, observed) == []


def test_scalar_and_set_changes_are_whole_values() -> None:
    changes = diff_fields(
        {"first_name": "Jane", "tags": ["staff", "vip"]},
        {"first_name": "Janet", "tags": ["vip"]},
    )
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("first_name", "Janet", "Jane"),
        ("tags", ["vip"], ["staff", "vip"]),
    ]


def test_nested_values_are_diffed_per_leaf_with_deepdiff() -> None:
    desired = {"addresses": [{"city": "Perth", "postcode": "6000"}]}
    observed = {"addresses": [{"city": "Sydney", "postcode": "6000"}]}
    [change] = diff_fields(desired, observed)
    assert (change.field, change.path, change.before, change.after) == (
        "addresses", "addresses[0].city", "Sydney", "Perth",
    )  # fmt: skip


def test_explicit_null_clears_and_missing_counts_as_null() -> None:
    assert changed_fields({"company": None}, {"company": "Acme"}) == ["company"]
    assert changed_fields({"company": None}, {}) == []
    [change] = diff_fields({"identities.shopify": "42"}, {})
    assert (change.before, change.after) == (None, "42")
