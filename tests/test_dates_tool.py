"""Profile dates (``attributes.dates``) declared in profiles.d/: validated offline, planned field by
field, masked, applied through the documented endpoints, exported, and re-planned as empty."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import Result

from reconcile.profiles.schema import profile_file_schema
from reconcile.sandbox import ServedSandbox
from tests.conftest import Project

JANE = """
    first_name: Jane
    email: jane@example.com
    dates:
      wedding: {date: 2015-03-14, recurring: yearly, relationship: partner, name: Wedding}
      adoption: {date: 2019-6-1, relationship: dog, note: Rex}
    """


class Tenant:
    """The project, pointed at a sandbox served over HTTP, and a direct client for checking."""

    def __init__(self, project: Project, served: ServedSandbox, api: httpx.Client) -> None:
        self.project, self.api = project, api
        self.env = {"OMNEO_URL": served.url, "OMNEO_TOKEN": served.token}

    def cli(self, *args: str) -> Result:
        return self.project.cli(*args, env=self.env)

    def dates(self, profile_id: str) -> list[dict[str, Any]]:
        answer = self.api.get(f"/profiles/{profile_id}/attributes/dates")
        assert answer.status_code == 200, answer.text
        return list(answer.json()["data"])

    def plan_json(self) -> dict[str, Any]:
        result = self.cli("plan", "--format", "json", "--show-pii")
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.stdout))


@pytest.fixture
def tenant(project: Project, served_sandbox: ServedSandbox) -> Iterator[Tenant]:
    headers = {"Authorization": f"Bearer {served_sandbox.token}", "Accept": "application/json"}
    with httpx.Client(base_url=served_sandbox.url, headers=headers, timeout=30) as api:
        yield Tenant(project, served_sandbox, api)


def _fields(plan: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    (change,) = plan["changes"]
    return {f["path"]: (f["before"], f["after"]) for f in change["fields"]}


def test_dates_declared_planned_applied_exported_and_replanned_empty(tenant: Tenant) -> None:
    tenant.project.write("jane.yaml", JANE)
    assert tenant.cli("validate").exit_code == 0

    shown = tenant.cli("plan")
    assert "dates.wedding: (none) → ***" in shown.stdout  # personal data: masked by default
    assert "2015" not in shown.stdout and "partner" not in shown.stdout
    planned = _fields(tenant.plan_json())
    assert planned["dates.wedding"] == (
        None,
        {"date": "2015-03-14", "recurring": "yearly", "relationship": "partner", "name": "Wedding"},
    )
    adoption = {"date": "2019-06-01", "relationship": "dog", "note": "Rex"}
    assert planned["dates.adoption"][1] == adoption

    applied = tenant.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    profile_id = tenant.api.get("/profiles", params={"filter[email]": "jane@example.com"}).json()[
        "data"
    ][0]["id"]
    held = {d["handle"]: d for d in tenant.dates(profile_id)}
    assert held["wedding"]["date"] == "2015-03-14" and held["wedding"]["is_recurring"] is True
    assert held["wedding"]["recurring_schedule"] == "yearly"
    assert held["adoption"]["is_recurring"] is False and held["adoption"]["note"] == "Rex"
    again = tenant.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes" in again.stdout, again.output

    # Another system's date on the same profile is left alone: dates merge per handle.
    other = {"date": "1990-01-02", "handle": "partner_birthday", "relationship": "partner"}
    assert tenant.api.put(f"/profiles/{profile_id}/attributes/dates", json=other).status_code == 200

    # Field by field: a new day and relationship for the wedding, the adoption removed.
    tenant.project.write(
        "jane.yaml",
        """
        first_name: Jane
        email: jane@example.com
        dates:
          wedding: {date: 2016-03-14, recurring: yearly, relationship: spouse, name: Wedding}
          adoption: null
        """,
    )
    planned = _fields(tenant.plan_json())
    assert planned["dates.wedding.date"] == ("2015-03-14", "2016-03-14")
    assert planned["dates.wedding.relationship"] == ("partner", "spouse")
    assert planned["dates.adoption"][1] is None
    assert not any(p.startswith("dates.partner_birthday") for p in planned)
    applied = tenant.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    held = {d["handle"]: d for d in tenant.dates(profile_id)}
    assert sorted(held) == ["partner_birthday", "wedding"]  # the old wedding date is gone, too
    assert (held["wedding"]["date"], held["wedding"]["relationship"]) == ("2016-03-14", "spouse")
    assert tenant.cli("plan", "--detailed-exitcode").exit_code == 0

    # Export writes every date the tenant holds; a plan over the export is empty.
    tenant.project.remove("jane.yaml")
    exported = tenant.cli("export")
    assert exported.exit_code == 0, exported.output
    text = (tenant.project.profiles / "jane.yaml").read_text()
    assert "dates:" in text and "partner_birthday:" in text and "recurring: yearly" in text
    final = tenant.cli("plan", "--detailed-exitcode")
    assert final.exit_code == 0 and "No changes" in final.stdout, final.output


def test_a_bad_date_is_reported_offline_at_its_line(project: Project) -> None:
    project.write(
        "jane.yaml",
        """
        email: jane@example.com
        dates:
          wedding:
            date: 2015-02-30
          first.date: {date: 2001-01-01}
          trip: {date: 2020-01-01, recurring: 3}
        """,
    )
    result = project.cli("validate")
    assert result.exit_code == 1
    assert "jane.yaml:4: jane: dates.wedding.date: is not a real date (use YYYY-MM-DD)" in (
        result.stderr
    )
    assert "jane.yaml:5: jane: dates.first.date: a date's handle may hold only" in result.stderr
    assert "jane.yaml:6: jane: dates.trip.recurring: must be a schedule such as yearly" in (
        result.stderr
    )
    assert "3 problems found" in result.stderr
    assert "Traceback" not in result.output


def test_the_json_schema_describes_dates() -> None:
    definitions = profile_file_schema()["$defs"]
    dates = definitions["Profile"]["properties"]["dates"]["anyOf"][0]
    assert list(dates["patternProperties"]) == ["^[A-Za-z0-9_:-]+$"]
    date = definitions["ProfileDate"]
    assert date["required"] == ["date"] and date["additionalProperties"] is False
    assert {"recurring", "relationship", "name", "note", "meta"} <= set(date["properties"])


def test_bulk_apply_carries_dates_in_the_batch(project: Project) -> None:
    project.write(
        "many.yaml.j2",
        """
        profiles:
        {% for n in range(3) %}
          - key: c{{ n }}
            email: c{{ n }}@example.com
            dates: {joined_club: {date: 2020-01-0{{ n + 1 }}, recurring: true}}
        {% endfor %}
        """,
    )
    applied = project.cli("apply", "--bulk", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "3 applied, 0 failed" in applied.stderr
    again = project.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0 and "3 unchanged" in again.stdout, again.output
