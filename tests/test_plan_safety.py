"""A plan's safety and what a saved plan may hold, directly on the plan value."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.plan.diff import FieldChange
from reconcile.plan.options import PlanOptions
from reconcile.plan.value import Change, Plan, safety_reasons

UPDATES = "too many updates: 4 of 10 managed profiles (40.0%) is over the 30% threshold"
DELETES = "too many deletes: 4 of 10 managed profiles (40.0%) is over the 30% threshold"


@pytest.mark.parametrize(
    ("managed", "updates", "deletes", "unsafe"),
    [
        (9, 9, 9, ()),  # below the floor of 10: a small tenant is never unsafe
        (10, 3, 3, ()),  # 30% is the threshold, not over it
        (10, 4, 0, (UPDATES,)),
        (10, 4, 4, (UPDATES, DELETES)),
        (0, 0, 5, ()),
    ],
)
def test_a_plan_is_unsafe_over_the_threshold_above_the_floor(
    managed: int, updates: int, deletes: int, unsafe: tuple[str, ...]
) -> None:
    found = safety_reasons(
        managed=managed, updates=updates, deletes=deletes, threshold=0.3, floor=10
    )
    assert found == unsafe


def test_a_sealed_plan_masks_the_tenant_values_and_keeps_the_declared_ones() -> None:
    change = Change(
        action="update",
        key="jane",
        profile_id="p1",
        fields=(
            FieldChange(
                field="email", path="email", before="old@example.com", after="new@example.com"
            ),
            FieldChange(field="tags", path="tags", before=["a"], after=["a", "b"]),
        ),
    )
    sealed = Plan(options=PlanOptions(tenant="t"), inputs_digest="d", changes=(change,)).sealed()
    email, tags = sealed.changes[0].fields
    assert (email.before, email.after, email.redacted) == (
        "o***@example.com",
        "new@example.com",
        True,
    )
    assert (tags.before, tags.redacted) == (["a"], False)  # not personal data
    assert sealed.checksum == sealed.computed_checksum() and len(sealed.checksum) == 64


def test_a_saved_plan_is_flat_and_reads_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    options = PlanOptions(tenant="t", allow_delete=True, threshold_floor=3)
    Plan(options=options, inputs_digest="d").save(path)
    text = path.read_text()
    assert '"allow_delete": true' in text and '"options"' not in text
    assert Plan.load(path).options == options
