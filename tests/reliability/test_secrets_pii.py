"""Secrets and personal data: an end-to-end session over real HTTP, every artifact scanned.

The session: validate (clean, and with a broken file), plan in every format, show in every format,
apply with failures, apply --resume, the journal, lock status, export, and a run with a wrong
token. What is scanned, and for what:

- the API token (and the wrong one): every byte any command printed, and every file the session
  left in the project (plans, journals, .reconcile/, exported files) -- nowhere;
- every email, phone, name and birth date of the test data (declared in profiles.d/ and held only
  by the tenant): everything printed (reports, progress, errors) and every journal -- nowhere;
- saved plans: none of the values only the tenant holds (a plan may hold what profiles.d/ holds);
- exported files are profiles.d/ declarations by design: scanned for the token only.

``--show-pii`` is the only way to reveal them: the same reports with it do show them.
"""

from __future__ import annotations

import hmac
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconcile.sandbox import READ_ONLY_TOKEN, SandboxConfig, serve_in_thread
from reconcile.sandbox.http import context as sandbox_context
from tests.conftest import Project
from tests.reliability.world import TENANT, TenantReader, configure

TOKEN = "rcn-SECRET-7f3a9c1e5b2d4a68"
WRONG = "rcn-WRONG-0d9e8f7a6b5c4d3e"

# Held by profiles.d/ (declared values).
DECLARED = {
    "emails": [
        "zebediah.quill@example.com",
        "ottoline.vayne@example.com",
        "marisol.thackeray@example.com",
    ],
    "names": ["Zebediah", "Quillfeather", "Ottoline", "Vaynesworth", "Marisol", "Thackeray"],
    "phones": ["+61412777345"],
    "dates": [(1937, 11, 29)],
}
# Held only by the tenant: the values declared ones replace, an adopted profile's, a bystander's.
TENANT_ONLY = {
    "emails": ["old.zebediah@example.net", "bystander.winthrop@example.org"],
    "names": ["Bartholomew", "Featherstonehaugh", "Winthropia", "Cholmondeley", "Peregrina"],
    "phones": ["+61412555901", "+61412555902"],
    "dates": [(1944, 3, 17)],
}


def write_profiles(project: Project) -> None:
    project.write(
        "zeb.yaml",
        """
        first_name: Zebediah
        last_name: Quillfeather
        email: zebediah.quill@example.com
        mobile_phone: "0412 777 345"
        birth_day: 29
        birth_month: 11
        birth_year: 1937
        """,
    )
    project.write(
        "c-002.yaml",
        "first_name: Ottoline\nlast_name: Vaynesworth\nemail: ottoline.vayne@example.com\n",
    )
    project.write(
        "c-003.yaml",
        "first_name: Marisol\nlast_name: Thackeray\nemail: marisol.thackeray@example.com\n",
    )


def seed_tenant(reader: TenantReader) -> None:
    reader.create(
        {  # managed already, with the old values the plan replaces
            "email": "old.zebediah@example.net",
            "first_name": "Bartholomew",
            "last_name": "Featherstonehaugh",
            "mobile_phone": "+61412555901",
            "birth_day": 17,
            "birth_month": 3,
            "birth_year": 1944,
            "identities": [{"handle": "reconcile", "identifier": "zeb"}],
        }
    )
    reader.create(
        {  # unmanaged, matched by email: adopted, its name replaced
            "email": "ottoline.vayne@example.com",
            "first_name": "Peregrina",
            "last_name": "Cholmondeley",
        }
    )
    reader.create(
        {  # a bystander nobody declared
            "email": "bystander.winthrop@example.org",
            "first_name": "Winthropia",
            "mobile_phone": "+61412555902",
        }
    )


def forms(values: dict[str, list[Any]]) -> list[str]:
    """Every spelling of the values a leak could take (case-insensitive)."""
    found = [*values["emails"], *values["names"]]
    for e164 in values["phones"]:
        national = "0" + e164[3:]
        found += [e164, national, e164[3:], f"{national[:4]} {national[4:7]} {national[7:]}"]
    for year, month, day in values["dates"]:
        found += [
            f"{year}-{month:02}-{day:02}",
            f"{day:02}/{month:02}/{year}",
            f"{day}/{month}/{year}",
        ]
        found += [rf"birth_year\W{{1,4}}{year}"]
    return found


def leaks(text: str, values: dict[str, list[Any]]) -> list[str]:
    lowered = text.lower()
    return [
        f
        for f in forms(values)
        if re.search(f.lower() if "\\" in f else re.escape(f.lower()), lowered)
    ]


class Session:
    """Runs commands, keeping everything they print."""

    def __init__(self, project: Project, env: dict[str, str]) -> None:
        self.project = project
        self.env = env
        self.printed: list[tuple[str, str]] = []

    def run(self, *args: str, env: dict[str, str] | None = None) -> Any:
        result = self.project.cli(*args, env={**self.env, **(env or {})})
        self.printed.append((" ".join(args), result.stdout + result.stderr))
        assert "Traceback" not in result.output, result.output
        return result


@pytest.fixture
def session(project: Project, tmp_path: Path) -> Any:
    config = SandboxConfig(
        db_path=tmp_path / "t" / "s.db", tokens={TOKEN: "write", READ_ONLY_TOKEN: "read"}
    )
    with serve_in_thread(config) as sandbox:
        reader = TenantReader(sandbox.url, TOKEN)
        seed_tenant(reader)
        write_profiles(project)
        yield Session(project, configure(project, sandbox.url, TOKEN)), reader
        reader.close()


def test_no_token_and_no_personal_data_in_any_artifact(session: Any) -> None:
    run, reader = session
    project = run.project
    assert run.run("validate").exit_code == 0
    project.write(
        "broken.yaml",
        "first_name: Zebediah\nemail: marisol.thackeray@example.com\n"
        "mobile_phone: '+61412777345'\nbirth_day: 31\nbirth_month: 2\nbirth_year: 1937\n",
    )
    broken = run.run("validate")
    assert broken.exit_code == 1 and "broken.yaml" in broken.stderr
    project.remove("broken.yaml")

    plan_file = project.plans / "session.json"
    planned = run.run("plan", "-o", str(plan_file), *TENANT)
    assert planned.exit_code == 0, planned.output
    for fmt in ("text", "markdown", "json", "html"):
        assert (
            run.run(
                "plan", "--format", fmt, "-o", str(project.plans / f"f-{fmt}.json"), *TENANT
            ).exit_code
            == 0
        )
        assert run.run("show", str(plan_file), "--format", fmt).exit_code == 0

    reader.create({"email": "marisol.thackeray@example.com", "first_name": "Cholmondeley"})
    failed = run.run("apply", str(plan_file), *TENANT)
    assert failed.exit_code == 1 and "failed: create c-003" in failed.stderr
    resumed = run.run("apply", "--resume", str(plan_file), *TENANT)
    assert resumed.exit_code == 1 and "failed: create c-003" in resumed.stderr
    assert run.run("lock", "status", *TENANT).exit_code == 0
    exported = run.run("export", "--out", str(project.root / "exported"), *TENANT)
    assert exported.exit_code == 0, exported.output
    refused = run.run("plan", *TENANT, env={"SERVED_TOKEN": WRONG})
    assert refused.exit_code == 1 and "401" in refused.stderr

    artifacts = {
        str(path.relative_to(project.root)): path.read_text(errors="replace")
        for path in project.root.rglob("*")
        if path.is_file() and "profiles.d" not in path.parts
    }
    journals = {name: text for name, text in artifacts.items() if name.endswith(".jsonl")}
    plans = {
        name: text
        for name, text in artifacts.items()
        if name.startswith("plans/") and name.endswith(".json")
    }
    assert journals and len(plans) == 5 and any(n.startswith("exported/") for n in artifacts)

    everything = {**artifacts, **{f"$ {cmd}": out for cmd, out in run.printed}}
    assert {n for n, text in everything.items() if TOKEN in text or WRONG in text} == set()
    both = {k: DECLARED[k] + TENANT_ONLY[k] for k in DECLARED}
    printed_leaks = {cmd: leaks(out, both) for cmd, out in run.printed if leaks(out, both)}
    assert printed_leaks == {}
    assert {n: leaks(t, both) for n, t in journals.items() if leaks(t, both)} == {}
    assert {n: leaks(t, TENANT_ONLY) for n, t in plans.items() if leaks(t, TENANT_ONLY)} == {}
    assert "ottoline.vayne@example.com" in "".join(
        t for n, t in artifacts.items() if n.startswith("exported/")
    )


def test_show_pii_is_the_way_to_reveal_personal_data(session: Any) -> None:
    run, _ = session
    plan_file = run.project.plans / "reveal.json"
    masked = run.run("plan", "-o", str(plan_file), *TENANT)
    revealed = run.run("plan", "--show-pii", *TENANT)
    shown = run.run("show", str(plan_file), "--show-pii")

    assert leaks(masked.stdout, {k: DECLARED[k] + TENANT_ONLY[k] for k in DECLARED}) == []
    assert "zebediah.quill@example.com" in revealed.stdout
    assert len(leaks(revealed.stdout, TENANT_ONLY)) >= 4  # the scanner sees what it looks for
    assert "old.zebediah@example.net" in revealed.stdout  # the tenant's value, before the change
    assert "Bartholomew" in revealed.stdout and "Peregrina" in revealed.stdout
    assert "zebediah.quill@example.com" in shown.stdout  # a saved plan reveals what git holds
    assert "old.zebediah@example.net" not in shown.stdout  # but never kept the tenant's values


def test_the_sandbox_refuses_missing_wrong_and_read_only_tokens(tmp_path: Path) -> None:
    config = SandboxConfig(
        db_path=tmp_path / "s.db", tokens={TOKEN: "write", READ_ONLY_TOKEN: "read"}
    )
    with serve_in_thread(config) as sandbox, httpx.Client(base_url=sandbox.url + "/") as http:
        assert http.get("profiles").status_code == 401
        assert http.get("profiles", headers={"Authorization": f"Bearer {WRONG}"}).status_code == 401
        assert (
            http.get("profiles", headers={"Authorization": f"Bearer {TOKEN[:-1]}"}).status_code
            == 401
        )
        read = {"Authorization": f"Bearer {READ_ONLY_TOKEN}"}
        assert http.get("profiles", headers=read).status_code == 200
        refused = http.post("profiles", headers=read, json={"email": "r@example.com"})
        assert (refused.status_code, refused.json()) == (
            403,
            {"message": "This action is unauthorized."},
        )
        write = {"Authorization": f"Bearer {TOKEN}"}
        assert (
            http.post("profiles", headers=write, json={"email": "w@example.com"}).status_code == 201
        )


def test_tokens_are_compared_in_constant_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every known token is compared with hmac.compare_digest, the right one or not, first or
    last: no early exit and no == that would leak a prefix through timing."""
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(sandbox_context.hmac, "compare_digest", spy)
    tokens = {TOKEN: "write", READ_ONLY_TOKEN: "read", "third-token": "read"}
    config = SandboxConfig(db_path=tmp_path / "s.db", tokens=tokens)
    with serve_in_thread(config) as sandbox, httpx.Client(base_url=sandbox.url + "/") as http:
        for sent in (TOKEN, WRONG, "third-token", TOKEN[:5]):
            compared.clear()
            http.get("profiles", headers={"Authorization": f"Bearer {sent}"})
            assert sorted(a for a, _ in compared) == sorted(t.encode() for t in tokens)
            assert {b for _, b in compared} == {sent.encode()}
