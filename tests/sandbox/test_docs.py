"""The three documents Omneo left "content needed" must match the code: fail on drift."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from reconcile.sandbox import READ_ONLY_TOKEN, SandboxConfig, serve_in_thread
from reconcile.sandbox.config import MAX_BATCH_SIZE
from reconcile.sandbox.csv_import import MAX_BYTES, MAX_ROWS, SCALAR_COLUMNS, column_error
from reconcile.sandbox.problems import MESSAGES
from reconcile.sandbox.rules import RULES, UNIQUE_FIXTURE

DOCS = Path(__file__).resolve().parents[2] / "docs"
MakeProfile = Callable[..., dict[str, Any]]


def table(path: Path, first_header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header starts with ``first_header``."""
    rows: list[list[str]] = []
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| {first_header} |"):
            inside = True
            continue
        if inside and line.startswith("|---"):
            continue
        if inside and not line.startswith("|"):
            break
        if inside:
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            rows.append([cell.strip().replace("\\|", "|") for cell in cells])
    return rows


def unquote(cell: str) -> str:
    return cell.strip("`")


def fenced(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


# -- validation-rules.md ---------------------------------------------------------------------------


def test_validation_rules_table_matches_the_code() -> None:
    documented = [tuple(map(unquote, row)) for row in table(DOCS / "validation-rules.md", "Field")]
    assert documented == [(r.field, r.type, r.rule, r.message) for r in RULES]


def _pattern(field: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(field).replace(r"\*", "([^.]+?)") + "$")


def test_every_rule_rejects_its_example_with_the_documented_message(api: httpx.Client) -> None:
    assert api.post("/profiles", json=UNIQUE_FIXTURE).status_code == 201
    missing = []
    for number, rule in enumerate(RULES):
        body = {"email": f"rule{number}@example.com", **rule.example}
        answer = api.post("/profiles", json=body)
        assert answer.status_code == 422, (rule, answer.text)
        found = False
        for key, messages in answer.json()["errors"].items():
            matched = _pattern(rule.field).match(key)
            if matched:
                expected = rule.message
                for group in matched.groups():
                    expected = expected.replace("*", group, 1)
                found = found or expected in messages
        if not found:
            missing.append((rule.field, rule.rule, answer.json()["errors"]))
    assert missing == []


# -- errors.md -------------------------------------------------------------------------------------


def _provoke(status: int, api: httpx.Client, url: str) -> httpx.Response:
    anonymous = httpx.Client(base_url=url)
    reader = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {READ_ONLY_TOKEN}"})
    with anonymous, reader:
        return {
            400: lambda: api.post(
                "/profiles", content=b"{", headers={"Content-Type": "application/json"}
            ),
            401: lambda: anonymous.get("/profiles"),
            403: lambda: reader.post("/profiles", json={"email": "r@example.com"}),
            404: lambda: api.get("/profiles/00000000-0000-4000-8000-000000000000"),
            405: lambda: api.patch("/profiles"),
            422: lambda: api.post("/profiles", json={}),
        }[status]()


def test_error_reference_matches_the_answers(api: httpx.Client, tmp_path: Path) -> None:
    rows = table(DOCS / "errors.md", "Status")
    documented = {int(row[0]): json.loads(unquote(row[2])) for row in rows}
    assert set(documented) == set(MESSAGES)
    url = str(api.base_url).rstrip("/")
    for status in (400, 401, 403, 404, 405, 422):
        answer = _provoke(status, api, url)
        assert (answer.status_code, answer.json()) == (status, documented[status])
    faulty = SandboxConfig(db_path=tmp_path / "f.db", rate_limit_rps=0.5, error_rate=1, seed=1)
    with serve_in_thread(faulty) as served, httpx.Client(base_url=served.url) as client:
        first, second = client.get("/profiles"), client.get("/profiles")
    assert (first.status_code, first.json()) == (503, documented[503])
    assert (second.status_code, second.json()) == (429, documented[429])
    assert second.headers["Retry-After"] == "2"


# -- import-format.md ------------------------------------------------------------------------------

PLACEHOLDERS = {
    "<handle>": "shopify",
    "<flag>": "email_promo",
    "<namespace>": "loyalty",
    "<type>": "string",
}


def test_import_columns_match_the_code() -> None:
    columns = [unquote(row[0]) for row in table(DOCS / "import-format.md", "Column")]
    for column in columns:
        concrete = column
        for placeholder, value in PLACEHOLDERS.items():
            concrete = concrete.replace(placeholder, value)
        assert column_error(concrete) is None, column
    assert [c for c in columns if ":" not in c and c != "tags"] == list(SCALAR_COLUMNS)
    text = (DOCS / "import-format.md").read_text(encoding="utf-8")
    assert f"at most {MAX_ROWS} rows and {MAX_BYTES // 1024} KB" in text
    assert f"1 to {MAX_BATCH_SIZE} profile objects" in text


def _wait(api: httpx.Client, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        found: dict[str, Any] = api.get(url).json()["data"]
        if found["status"] == "completed" or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_import_examples_import_cleanly(api: httpx.Client) -> None:
    [csv_example] = fenced(DOCS / "import-format.md", "csv")
    job = api.post("/import-jobs", content=csv_example.encode("utf-8")).json()["data"]
    rows = _wait(api, f"/import-jobs/{job['id']}")["rows"]
    assert [(r["row"], r["status"], r["errors"]) for r in rows] == [
        (2, "success", None),
        (3, "success", None),
        (4, "success", None),
    ]
    [json_example] = fenced(DOCS / "import-format.md", "json")
    answer = api.post("/profiles/batch", json=json.loads(json_example))
    assert answer.status_code == 202
    found = _wait(api, f"/batches/{answer.json()['data']['batch_id']}")
    assert [item["status"] for item in found["items"]] == ["success", "success"]
    assert found["items"][0]["entity_id"] == rows[0]["profile_id"]  # matched by shopify 1001
