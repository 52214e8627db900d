"""Selectors: --target, --exclude and --shard choose keys; shards split every key exactly once."""

from __future__ import annotations

import pytest

from reconcile.plan.selectors import Selectors, parse_shard, shard_of

KEYS = [f"customer-{n:04d}" for n in range(2000)] + ["vip-ann", "vip-test", "staff-bob"]


def test_target_and_exclude_take_keys_and_globs() -> None:
    selectors = Selectors(target=("vip-*", "staff-bob"), exclude=("*-test",))
    assert [k for k in KEYS if selectors.selects(k)] == ["vip-ann", "staff-bob"]


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_partition_every_key_exactly_once(count: int) -> None:
    owners = {
        key: [i for i in range(1, count + 1) if Selectors(shard=f"{i}/{count}").selects(key)]
        for key in KEYS
    }
    assert all(len(shards) == 1 for shards in owners.values())
    sizes = [sum(1 for s in owners.values() if s == [i]) for i in range(1, count + 1)]
    assert min(sizes) > len(KEYS) / count * 0.8  # roughly even


def test_a_key_stays_in_its_shard_across_runs() -> None:
    # A stable hash (not Python's salted hash()): the same shard on every machine and run.
    assert [shard_of(k, 4) for k in ("a", "b", "jane-doe")] == [
        shard_of(k, 4) for k in ("a", "b", "jane-doe")
    ]
    assert (
        shard_of("jane-doe", 4)
        == 1 + int.from_bytes(__import__("hashlib").sha256(b"jane-doe").digest()[:8], "big") % 4
    )


@pytest.mark.parametrize("text", ["0/4", "5/4", "1", "a/b", "1/0"])
def test_a_malformed_shard_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="shard"):
        parse_shard(text)


def test_selectors_describe_themselves_for_reports() -> None:
    assert Selectors().describe() == ""
    assert Selectors(target=("vip-*",), shard="2/4").describe() == "target vip-*; shard 2/4"
