"""Stateful contract fuzzing driven by the OpenAPI links of the sandbox's description.

Each step picks an operation that can run now (one needing no id, or one a link can feed from an
earlier answer), fills its ids from that answer as the link says, draws the rest of the request
from the description in positive mode (schemathesis), sends it and checks the answer. So created
profiles, identities, addresses, custom attributes and dates are read, listed, updated and
deleted with ids that exist. What a step deleted is not offered again (a soft-deleted profile
only to the routes that reach it: ``update-type`` and purge), so a 404 means a defect, not a
stale id. Some writes are sent with a non-finite number or an oversized body instead, and must
be refused with exactly the documented answer.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from schemathesis import GenerationMode

from reconcile.sandbox.rules.limits import MAX_BODY_BYTES, body_limit
from tests.reliability.contract import AUTH, CHECKS, OPERATIONS, SCHEMA, Tally, assert_documented

PREFIX = "/api/v3"
MISSING = object()
REACH_HIDDEN = {
    f"{m} {PREFIX}/profiles/{{profile_id}}/{p}"
    for m, p in (("PUT", "update-type"), ("POST", "purge"), ("DELETE", "purge"))
}
TOKENS = ("NaN", "Infinity", "-Infinity", "1e999")
MARK = "\u0000NONFINITE"
Draw = Callable[[st.SearchStrategy[Any]], Any]


@dataclass(frozen=True)
class Link:
    source: tuple[str, int]  # (operation, status) of the answer it follows
    target: str
    parameters: dict[str, Any]  # "path.x" / "query.x" -> runtime expression
    body: dict[str, Any] | None


@dataclass(frozen=True, eq=False)
class Output:
    """A success answer a link can follow: the request's path ids and the answer's body."""

    path: dict[str, Any]
    body: Any

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None

    @property
    def owner(self) -> str | None:
        """The profile the answer is about (None for a batch or an import job)."""
        data = self.data if isinstance(self.data, dict) else {}
        found = self.path.get("profile_id") or data.get("profile_id")
        return str(found or data["id"]) if found or "profile_type" in data else None

    @property
    def names(self) -> set[str]:
        """How an item of the profile is named in a path: its id, handle, namespace:handle."""
        data = self.data if isinstance(self.data, dict) else {}
        found = {str(data.get("id")), str(data.get("handle"))}
        return found | {f"{data.get('namespace')}:{data.get('handle')}"}


def read_links() -> list[Link]:
    spec = SCHEMA.raw_schema
    by_ref = {
        f"#/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}": f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
    }
    return [
        Link((f"{method.upper()} {path}", int(status)), by_ref[found["operationRef"]],
             found.get("parameters", {}), found.get("requestBody"))
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        for found in answer.get("links", {}).values()
    ]  # fmt: skip


LINKS = read_links()
# Where a workflow starts: operations that need no id and that no link leads to (the creators).
ROOTS = sorted(
    name
    for name, op in OPERATIONS.items()
    if not op.path_parameters and name not in {link.target for link in LINKS}
)
STRATEGIES = {
    name: op.as_strategy(generation_mode=GenerationMode.POSITIVE) for name, op in OPERATIONS.items()
}


def evaluate(expression: Any, output: Output) -> Any:
    """A runtime expression (``$response.body#/…``, ``$request.path.…``, or ``{…}`` inside text)."""
    if not isinstance(expression, str):
        return expression
    if not expression.startswith("$"):
        parts = [evaluate(inner, output) for inner in re.findall(r"\{(\$[^}]+)\}", expression)]
        if any(part is MISSING for part in parts):
            return MISSING
        return re.sub(r"\{\$[^}]+\}", lambda _: str(parts.pop(0)), expression)
    if expression.startswith("$request.path."):
        return output.path.get(expression.removeprefix("$request.path."), MISSING)
    found: Any = output.body
    for step in expression.removeprefix("$response.body#/").split("/"):
        if isinstance(found, dict) and step in found:
            found = found[step]
        elif isinstance(found, list) and step.isdigit() and int(step) < len(found):
            found = found[int(step)]
        else:
            return MISSING
    return found


def plain(key: Any) -> bool:
    """A key that names itself in a dotted error path (a generated "" or "a.b" would not)."""
    return isinstance(key, int) or (isinstance(key, str) and key != "" and "." not in key)


class Workflow:
    """One scenario: its answers so far, and what it has deleted."""

    def __init__(self, draw: Draw, tally: Tally, inject: bool) -> None:
        self.draw, self.tally, self.inject = draw, tally, inject
        # Choices of operation and id are uniform (Hypothesis's own draws favour the first
        # item, which made one operation a quarter of all requests); its seed is drawn, so a
        # run is still reproducible.
        self.random = random.Random(draw(st.integers(0, 2**32 - 1)))
        self.outputs: dict[tuple[str, int], list[Output]] = defaultdict(list)
        self.hidden: set[str] = set()  # soft-deleted profiles
        self.last: Output | None = None  # the latest answer with links to follow
        self.sent: Counter[str] = Counter()

    def usable(self, target: str, output: Output) -> bool:
        return output.owner not in self.hidden or target in REACH_HIDDEN

    def choices(self, latest: bool) -> dict[str, list[dict[str, Any]]]:
        """What can run now, by operation: the ids each choice fills in. With ``latest``, only
        what the latest answer leads to (so chains go deep: an identity is added, then read,
        updated, deleted), if anything."""
        found: dict[str, list[dict[str, Any]]] = {} if latest else {name: [{}] for name in ROOTS}
        for link in LINKS:
            outputs = self.outputs.get(link.source, [])
            for output in outputs if not latest else [o for o in outputs if o is self.last]:
                params = {k: evaluate(v, output) for k, v in link.parameters.items()}
                body = {k: evaluate(v, output) for k, v in (link.body or {}).items()}
                if MISSING in (*params.values(), *body.values()):
                    continue
                if self.usable(link.target, output):
                    found.setdefault(link.target, []).append({**params, "body": body})
        return found

    def step(self) -> None:
        choices = (self.random.random() < 0.5 and self.choices(latest=True)) or self.choices(False)
        names = sorted(choices)
        # The operations this workflow sent least are the likeliest: every operation gets its
        # share, though some are reachable only two steps in. (Counts of this workflow only:
        # a choice must depend on the seed and the answers alone, or Hypothesis, replaying a
        # seed, would see different draws and stop the run as flaky.)
        weights = [1 / (1 + self.sent[name]) for name in names]
        name = self.random.choices(names, weights)[0]
        self.sent[name] += 1
        chosen = dict(self.random.choice(choices[name]))
        case = self.draw(STRATEGIES[name])
        extra = chosen.pop("body", {})
        if extra and isinstance(case.body, dict):
            case.body = {**case.body, **extra}
        for key, value in chosen.items():
            where, _, param = key.partition(".")
            container = case.path_parameters if where == "path" else case.query
            if container is None:
                case.query = container = {}
            container[param] = value
        kind = self.random.choice(["plain"] * 7 + ["non-finite", "oversized"])
        if self.inject and kind != "plain" and isinstance(case.body, dict) and name != ROOT_CSV:
            self.send_refused(name, case, kind)
        else:
            self.send(name, case)

    def send(self, name: str, case: Any) -> None:
        answer = case.call(headers=AUTH)
        assert_documented(answer, f"{name} {case.path_parameters}")
        case.validate_response(answer, checks=CHECKS)
        self.tally.add(name, answer.status_code)
        if 200 <= answer.status_code < 300:
            self.record(name, case, answer)

    def record(self, name: str, case: Any, answer: Any) -> None:
        body = answer.json() if answer.content else None
        output = Output(dict(case.path_parameters), body)
        self.outputs[(name, answer.status_code)].append(output)
        self.last = output
        ids = {k: str(v) for k, v in case.path_parameters.items()}
        if isinstance(output.data, dict) and "profile_type" in output.data:
            kept = output.data["profile_type"] != "deleted"
            (self.hidden.discard if kept else self.hidden.add)(str(output.data["id"]))
        if name == f"DELETE {PREFIX}/profiles/{{profile_id}}":
            self.hidden.add(ids["profile_id"])
        elif name.endswith("/purge"):
            self.forget(lambda found: found.owner == ids["profile_id"])
        elif name.startswith("DELETE "):  # an item of the profile: no answer about it is followed
            item = next(v for k, v in ids.items() if k != "profile_id")
            self.forget(lambda found: found.owner == ids["profile_id"] and item in found.names)

    def forget(self, gone: Callable[[Output], bool]) -> None:
        for outputs in self.outputs.values():
            outputs[:] = [found for found in outputs if not gone(found)]

    def send_refused(self, name: str, case: Any, kind: str) -> None:
        """The request with a non-finite number put somewhere in its body, or padded past its
        size limit: refused with exactly the documented answer, and nothing stored."""
        if kind == "oversized" and body_limit(case.operation.path) > MAX_BODY_BYTES:
            kind = "non-finite"  # a 10 MiB bulk body per step is left to tests/sandbox
        if kind == "oversized":
            raw, expected = self.oversized(case.body)
        else:
            raw, expected = self.non_finite(case.body)
        answer = case.call(headers={**AUTH, "Content-Type": "application/json"}, data=raw)
        assert (answer.status_code, answer.json()) == expected, (name, answer.text[:300])
        self.tally.add(f"{name} [{kind}]", answer.status_code)

    def non_finite(self, body: dict[str, Any]) -> tuple[bytes, tuple[int, Any]]:
        containers: list[tuple[str, Any]] = [("", body)]
        for path, item in containers:  # grows while it is read: every dict and list, in order
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            containers += [
                (f"{path}{k}.", v) for k, v in pairs if isinstance(v, dict | list) and plain(k)
            ]
        path, target = self.random.choice(containers)
        if isinstance(target, dict):
            key = self.random.choice([*filter(plain, target), "extra"])
            target[key] = MARK
        else:
            key = str(len(target))
            target.append(MARK)
        token = self.random.choice(TOKENS)
        raw = json.dumps(body).replace(json.dumps(MARK), token).encode()
        field = f"{path}{key}"
        errors = {field: [f"The {field} must be a finite number."]}
        return raw, (422, {"message": "The given data was invalid.", "errors": errors})

    def oversized(self, body: dict[str, Any]) -> tuple[bytes, tuple[int, Any]]:
        raw = json.dumps({**body, "padding": "x" * MAX_BODY_BYTES}).encode()
        return raw, (413, {"message": "The request body is too large."})


ROOT_CSV = f"POST {PREFIX}/import-jobs"
