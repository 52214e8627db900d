"""The three documents Omneo left "content needed" must match the code: fail on drift."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from reconcile.sandbox import READ_ONLY_TOKEN, SandboxConfig, serve_in_thread
from reconcile.sandbox.config import MAX_BATCH_SIZE
from reconcile.sandbox.problems import MESSAGES
from reconcile.sandbox.rules.csv_import import MAX_BYTES, MAX_ROWS, SCALAR_COLUMNS, column_error
from reconcile.sandbox.rules.limits import MAX_BODY_BYTES
from reconcile.sandbox.rules.messages import RULES
from tests.conftest import both_answer_styles
from tests.markdown import DOCS, fenced, table, unquote

MakeProfile = Callable[..., dict[str, Any]]


# -- validation-rules.md ---------------------------------------------------------------------------
# (the sandbox's behaviour against the document: test_validation_doc.py)


def test_validation_rules_table_matches_the_code() -> None:
    rows = table(DOCS / "validation-rules.md", "Field")
    documented = [tuple(map(unquote, row[:4])) for row in rows]
    assert documented == [(r.field, r.type, r.rule, r.message) for r in RULES]


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
            413: lambda: api.post("/profiles", content=b" " * (MAX_BODY_BYTES + 1)),
            422: lambda: api.post("/profiles", json={}),
        }[status]()


@both_answer_styles
def test_error_reference_matches_the_answers(api: httpx.Client, tmp_path: Path) -> None:
    rows = table(DOCS / "errors.md", "Status")
    documented = {int(row[0]): json.loads(unquote(row[2])) for row in rows}
    assert set(documented) == set(MESSAGES)
    url = str(api.base_url).rstrip("/")
    for status in (400, 401, 403, 404, 405, 413, 422):
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


@both_answer_styles
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
