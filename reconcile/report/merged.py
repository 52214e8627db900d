"""Render the shards' plans as one review: the merged plan, then a line for each shard.

:func:`render_merged` renders :func:`~reconcile.plan.merge.merge_plans`' plan in any format and
adds which shard plans it holds (each one's shard, checksum and summary line): in Markdown as a
collapsed table after the review, kept small enough that the whole comment stays under GitHub's
65,536 characters; in text as lines; in JSON as a ``shards`` list. One plan renders as itself.

>>> comment = render_merged([Plan.load(p) for p in files], "markdown")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconcile.plan.merge import merge_plans
from reconcile.plan.value import Plan
from reconcile.report.escape import json_visible, md_code
from reconcile.report.render import Format, render

# The review is at most MARKDOWN_LIMIT (60,000); the shards' table takes part of what is left of
# GitHub's 65,536, leaving room for a CI job's header (tests/test_show_merged.py holds it).
SHARDS_BUDGET = 3_500


def render_merged(
    plans: Sequence[Plan], fmt: Format = "text", *, show_pii: bool = False, color: bool = False
) -> str:
    """The review of ``plans`` (every shard's plan of one run, or one plan) in ``fmt``."""
    merged = merge_plans(plans)
    body = render(merged, fmt, show_pii=show_pii, color=color)
    if len(plans) == 1:
        return body
    rows = [_row(plan) for plan in sorted(plans, key=_shard_number)]
    if fmt == "markdown":
        return body + _markdown_table(rows)
    if fmt == "text":
        lines = [
            f"  shard {shard}: checksum {checksum}: {summary}" for shard, checksum, summary in rows
        ]
        return body + f"\nMerged from {len(rows)} shard plans:\n" + "\n".join(lines) + "\n"
    if fmt == "json":
        document: dict[str, Any] = json.loads(body)
        document["shards"] = [
            {"shard": shard, "checksum": checksum, "summary": summary}
            for shard, checksum, summary in rows
        ]
        text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
        return json_visible(text) + "\n"
    return body


def _shard_number(plan: Plan) -> int:
    shard = plan.options.selectors.shard or "0/0"
    return int(shard.split("/")[0])


def _row(plan: Plan) -> tuple[str, str, str]:
    return plan.options.selectors.shard or "", plan.checksum[:12], plan.summary()


def _markdown_table(rows: list[tuple[str, str, str]]) -> str:
    head = (
        f"\n<details><summary>Merged from {len(rows)} shard plans</summary>\n\n"
        "| shard | checksum | summary |\n|---|---|---|\n"
    )
    tail = "\n</details>\n"
    lines: list[str] = []
    left = SHARDS_BUDGET - len(head) - len(tail) - 40
    for shard, checksum, summary in rows:
        line = f"| {shard} | {md_code(checksum)} | {summary} |\n"
        if len(line) > left:
            lines.append(f"| … | | {len(rows) - len(lines)} more shards: see the plan files |\n")
            break
        lines.append(line)
        left -= len(line)
    return head + "".join(lines) + tail
